using System.CommandLine;
using System.CommandLine.Parsing;
using System.Text.RegularExpressions;
using Prunus.Cli.Commands;
using Prunus.Cli.Console;

namespace Prunus.Cli;

/// <summary>Entry point of the prunus command: parses, runs one command, turns failures into one clear error line.</summary>
public static partial class Program
{
    /// <summary>Exit code of a bad command line (unknown option, bad value, missing argument).</summary>
    public const int UsageError = 2;

    /// <summary>Exit code of a failure while running (unreadable file, model that does not fit its data, ...).</summary>
    public const int Failure = 1;

    /// <summary>Exit code of an unexpected error, a bug in Prunus (EX_SOFTWARE).</summary>
    public const int InternalError = 70;

    public static int Main(string[] args) => Run(args, null, null);

    /// <summary>Runs the CLI with the given streams (tests pass writers; null means the console); returns the exit code.</summary>
    public static int Run(string[] args, TextWriter? stdout, TextWriter? stderr)
    {
        // Built per run: System.CommandLine symbols remember their parents, so none is shared between runs.
        var json = CliOptions.Json();
        var verbose = CliOptions.Verbose();
        Reporter? reporter = null;
        var root = new RootCommand("Prunus: make neural networks smaller and faster. Train, evaluate, inspect, benchmark and run ONNX models.")
        {
            HelpName = "prunus",
        };
        root.Options.Add(json);
        root.Options.Add(verbose);
        foreach (var command in CommandSet.All()) root.Subcommands.Add(command.Build(() => reporter!));

        // A bare `prunus` shows the overview rather than complaining that no command was given.
        var parse = root.Parse(args.Length == 0 ? ["--help"] : args);
        reporter = new Reporter(parse.GetValue(json), parse.GetValue(verbose), stdout, stderr);
        if (parse.Errors.Count > 0)
        {
            reporter.Error(DescribeParseErrors(parse));
            return UsageError;
        }
        try
        {
            var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
            if (stdout is not null) config.Output = stdout;
            if (stderr is not null) config.Error = stderr;
            return parse.Invoke(config);
        }
        catch (Exception e)
        {
            var known = Describe(e);
            // Even a bug gets one line rather than a trace; --verbose gives the trace for a report.
            reporter.Error(known ?? $"internal error: {e.GetType().Name}: {e.Message} (a bug in Prunus; --verbose shows where it happened)");
            if (reporter.Verbose) (stderr ?? System.Console.Error).WriteLine(e);
            return known is null ? InternalError : e is UsageException ? UsageError : Failure;
        }
    }

    /// <summary>All parse errors as one line, ending with where to find help for the command concerned.</summary>
    private static string DescribeParseErrors(ParseResult parse)
    {
        var messages = parse.Errors.Select(e => OneLine(e.Message)).Distinct().ToList();
        // An unknown command also yields "Required command was not provided"; the unknown name is the useful part.
        if (messages.Count > 1) messages.RemoveAll(m => m.StartsWith("Required command was not provided", StringComparison.Ordinal));
        var command = parse.CommandResult.Command;
        var help = command is RootCommand ? "prunus --help" : $"prunus {command.Name} --help";
        return $"{string.Join("; ", messages)} (see '{help}')";
    }

    /// <summary>A parser message on one line, without its final period, with .NET type names said in words.</summary>
    private static string OneLine(string message)
    {
        var text = Whitespace().Replace(message, " ").Trim().TrimEnd('.');
        return text
            .Replace("as expected type 'System.Int32'", "as a whole number", StringComparison.Ordinal)
            .Replace("as expected type 'System.UInt64'", "as a non-negative whole number", StringComparison.Ordinal)
            .Replace("as expected type 'System.Double'", "as a number", StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    /// <summary>The one line to show for an expected failure (bad input, unreadable file); null for anything else.</summary>
    private static string? Describe(Exception e) => e switch
    {
        AggregateException { InnerExceptions.Count: 1 } a => Describe(a.InnerException!),
        UsageException or PrunusException => e.Message,
        FileNotFoundException f => $"file not found: {f.FileName ?? f.Message}",
        DirectoryNotFoundException or UnauthorizedAccessException or IOException => e.Message,
        // The library's argument checks say what to fix; the parameter name they append means nothing here.
        ArgumentException => ParameterSuffix().Replace(e.Message, ""),
        _ => null,
    };

    [GeneratedRegex(@"\s*\(Parameter '[^']*'\)\s*$")]
    private static partial Regex ParameterSuffix();
}
