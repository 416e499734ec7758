using System.CommandLine;
using Prunus.Cli.Console;

namespace Prunus.Cli.Commands;

/// <summary>A prunus subcommand: builds its System.CommandLine command, bound to the reporter of the run.</summary>
public interface ICliCommand
{
    Command Build(Func<Reporter> reporter);
}

/// <summary>The list of subcommands.</summary>
public static class CommandSet
{
    public static IEnumerable<ICliCommand> All() =>
    [
        new InspectCommand(),
        new BenchCommand(),
        new RunCommand(),
        new TrainCommand(),
        new EvalCommand(),
        new PruneCommand(),
        new SensitivityCommand(),
        new QuantizeCommand(),
    ];
}
