using System.CommandLine;
using Prunus.Cli.Commands;
using Prunus.Cli.Console;

namespace Prunus.Cli;

/// <summary>Entry point of the prunus command: parses, runs one command, turns failures into one clear error line.</summary>
public static class Program
{
    public static int Main(string[] args) => Run(args, null, null);

    /// <summary>Runs the CLI with the given streams (tests pass writers; null means the console).</summary>
    public static int Run(string[] args, TextWriter? stdout, TextWriter? stderr)
    {
        var root = new RootCommand("Prunus: make neural networks smaller and faster. Train, evaluate, inspect, benchmark and run ONNX models.");
        root.Options.Add(CliOptions.Json);
        root.Options.Add(CliOptions.Verbose);
        foreach (var command in CommandSet.All()) root.Subcommands.Add(command.Build(() => Reporter!));

        var parse = root.Parse(args);
        Reporter = new Reporter(parse.GetValue(CliOptions.Json), parse.GetValue(CliOptions.Verbose), stdout, stderr);
        if (parse.Errors.Count > 0)
        {
            foreach (var e in parse.Errors) Reporter.Error(e.Message);
            Reporter.Error("see 'prunus --help'");
            return 2;
        }
        try
        {
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            if (stdout is not null) config.Output = stdout;
            if (stderr is not null) config.Error = stderr;
            return parse.Invoke(config);
        }
        catch (Exception e) when (Describe(e) is { } message)
        {
            Reporter.Error(message);
            if (Reporter.Verbose) (stderr ?? System.Console.Error).WriteLine(e);
            return e is UsageException ? 2 : 1;
        }
    }

    [ThreadStatic] private static Reporter? Reporter;

    /// <summary>The one line to show for an expected failure; null lets unexpected ones crash loudly.</summary>
    private static string? Describe(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Describe(a.InnerException!),
        UsageException or PrunusException => e.Message,
        FileNotFoundException f => $"file not found: {f.FileName ?? f.Message}",
        DirectoryNotFoundException or UnauthorizedAccessException or IOException => e.Message,
        ArgumentException => e.Message,
        _ => null,
    };
}
