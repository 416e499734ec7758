using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Prunus.Cli.Console;

/// <summary>
/// Everything a command shows. Human mode: tables and progress bars on a terminal, plain lines when redirected.
/// JSON mode (--json): exactly one JSON object on stdout and nothing else there; progress goes to stderr as plain lines.
/// </summary>
public sealed class Reporter
{
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly IAnsiConsole _console;

    public bool Json { get; }
    public bool Verbose { get; }
    /// <summary>True when progress can be drawn as live bars (a terminal, not JSON).</summary>
    public bool Interactive { get; }

    public Reporter(bool json, bool verbose, TextWriter? stdout = null, TextWriter? stderr = null)
    {
        Json = json;
        Verbose = verbose;
        _out = stdout ?? System.Console.Out;
        _err = stderr ?? System.Console.Error;
        Interactive = !json && stdout is null && !System.Console.IsOutputRedirected && !System.Console.IsErrorRedirected;
        _console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(_out),
            Ansi = Interactive ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = Interactive ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = Interactive ? InteractionSupport.Yes : InteractionSupport.No,
        });
        if (!Interactive) _console.Profile.Width = 160;
    }

    /// <summary>A line of human output (stdout in human mode, stderr in JSON mode so stdout stays one object).</summary>
    public void Line(string text)
    {
        if (Json) _err.WriteLine(text);
        else _out.WriteLine(text);
    }

    /// <summary>A table of human output; omitted in JSON mode, where the result object carries the same data.</summary>
    public void Table(string? title, IReadOnlyList<string> columns, IEnumerable<IReadOnlyList<string>> rows)
    {
        if (Json) return;
        var table = new Table { Border = Interactive ? TableBorder.Rounded : TableBorder.Simple };
        if (title is not null) table.Title = new TableTitle(Markup.Escape(title));
        for (int i = 0; i < columns.Count; i++)
        {
            var col = new TableColumn(Markup.Escape(columns[i]));
            if (i > 0) col.RightAligned();
            table.AddColumn(col);
        }
        foreach (var r in rows) table.AddRow(r.Select(c => new Markup(Markup.Escape(c))).ToArray());
        _console.Write(table);
    }

    /// <summary>Writes the command's result: the JSON object in JSON mode; nothing in human mode (tables say it).</summary>
    public void Result(JsonObject result)
    {
        if (!Json) return;
        _out.WriteLine(result.ToJsonString(new JsonSerializerOptions { WriteIndented = false }));
    }

    /// <summary>An error on stderr, always on one line (a message with line breaks is joined).</summary>
    public void Error(string message) =>
        _err.WriteLine($"prunus: error: {string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))}");

    /// <summary>
    /// Runs <paramref name="work"/>, which reports progress as (fraction done in [0,1], status text). Draws a bar on a
    /// terminal; otherwise writes a plain line to stderr at most every 10% (and at each new status).
    /// </summary>
    public T WithProgress<T>(string label, Func<Action<double, string>, T> work)
    {
        if (Interactive)
        {
            T result = default!;
            AnsiConsole.Progress()
                .AutoClear(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
                .Start(ctx =>
                {
                    var task = ctx.AddTask(Markup.Escape(label), maxValue: 1.0);
                    result = work((f, status) =>
                    {
                        task.Value = Math.Clamp(f, 0, 1);
                        task.Description = Markup.Escape($"{label} {status}");
                    });
                    task.Value = 1;
                });
            return result;
        }
        int lastDecile = -1;
        return work((f, status) =>
        {
            int decile = (int)Math.Floor(Math.Clamp(f, 0, 1) * 10);
            if (decile == lastDecile) return;
            lastDecile = decile;
            _err.WriteLine($"{label}: {decile * 10,3}% {status}".TrimEnd());
        });
    }
}
