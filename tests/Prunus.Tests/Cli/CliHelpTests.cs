using Prunus.Cli.Console;

namespace Prunus.Tests.Cli;

/// <summary>Help texts, and the reporter's split between stdout (results) and stderr (progress).</summary>
public sealed class CliHelpTests
{
    [Fact]
    public void Root_help_lists_every_command()
    {
        var r = Cli.Run("--help");
        Assert.True(r.Code == 0, r.Describe());
        Assert.Equal("", r.Err);
        foreach (var s in new[] { "Usage:", "prunus [command] [options]", "--json", "--verbose", "train", "eval", "inspect", "bench", "run" })
            Assert.Contains(s, r.Out);
    }

    [Fact]
    public void No_command_shows_the_help()
    {
        var r = Cli.Run();
        Assert.Contains("Usage:", r.Out);
        Assert.Contains("Commands:", r.Out);
    }

    [Theory]
    [InlineData("train", new[] { "--model", "<mlp|lenet5|resnet|mobilenet>", "<sgd|adam|adamw>", "--data", "--epochs", "--out", "--limit", "--checkpoint", "--json" })]
    [InlineData("eval", new[] { "<model>", "--data", "--batch", "--threads" })]
    [InlineData("inspect", new[] { "<model>", "--batch" })]
    [InlineData("bench", new[] { "<model>", "--batch", "--seconds", "--warmup", "--threads" })]
    [InlineData("run", new[] { "<model>", "--input", "NAME=FILE", "--output-dir" })]
    public void Command_help_describes_its_options(string command, string[] mentions)
    {
        var r = Cli.Run(command, "--help");
        Assert.True(r.Code == 0, r.Describe());
        Assert.Equal("", r.Err);
        Assert.Contains($"prunus {command}", r.Out);
        foreach (var m in mentions) Assert.Contains(m, r.Out);
        // Every option line has a description after the option's name.
        foreach (var line in r.Out.Split('\n').Where(l => l.TrimStart().StartsWith("--", StringComparison.Ordinal)))
            Assert.Matches(@"^\s+--\S+( <[^>]+>)?( \(REQUIRED\))?\s{2,}\S", line);
    }

    [Fact]
    public void Version_prints_a_version()
    {
        var r = Cli.Run("--version");
        Assert.Equal(0, r.Code);
        Assert.Matches(@"^\d+\.\d+", r.Out.Trim());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Progress_goes_to_stderr_as_plain_lines_when_redirected(bool json)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var r = new Reporter(json, verbose: false, stdout, stderr);
        Assert.False(r.Interactive);
        int result = r.WithProgress("work", progress =>
        {
            for (int i = 0; i <= 100; i++) progress(i / 100.0, $"step {i}");
            return 42;
        });
        Assert.Equal(42, result);
        Assert.Equal("", stdout.ToString());
        var lines = stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        // One line per tenth, not one per step.
        Assert.Equal(11, lines.Length);
        Assert.StartsWith("work:   0% step 0", lines[0]);
        Assert.StartsWith("work: 100% step 100", lines[^1]);
    }

    [Fact]
    public void Json_mode_sends_lines_to_stderr_and_only_the_result_to_stdout()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var r = new Reporter(json: true, verbose: false, stdout, stderr);
        r.Line("a message");
        r.Table("a table", ["x", "y"], [["1", "2"]]);
        r.Result(new System.Text.Json.Nodes.JsonObject { ["answer"] = 42 });
        Assert.Equal("{\"answer\":42}", stdout.ToString().Trim());
        Assert.Equal("a message", stderr.ToString().Trim());
    }

    [Fact]
    public void Human_mode_prints_tables_to_stdout_without_escapes()
    {
        var stdout = new StringWriter();
        var r = new Reporter(json: false, verbose: false, stdout, new StringWriter());
        r.Table("a [bracketed] title", ["name", "value"], [["alpha", "1"], ["beta[2]", "22"]]);
        r.Result(new System.Text.Json.Nodes.JsonObject { ["answer"] = 42 });
        var text = stdout.ToString();
        Assert.Contains("a [bracketed] title", text);
        Assert.Contains("beta[2]", text);
        Assert.DoesNotContain("answer", text);
        Assert.DoesNotContain("\u001b[", text);
    }
}
