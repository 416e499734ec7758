using System.CommandLine;

namespace Prunus.Cli.Commands;

/// <summary>Options shared by every command.</summary>
public static class CliOptions
{
    public static Option<bool> Json() => new("--json")
    {
        Description = "Print the result as one JSON object on stdout, nothing else (progress and messages go to stderr)",
        Recursive = true,
    };

    public static Option<bool> Verbose() => new("--verbose")
    {
        Description = "Show the stack trace with an error",
        Recursive = true,
    };

    public static Option<int> Threads() => new("--threads")
    {
        Description = "Worker threads (default: one per core)",
        HelpName = "n",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    public static Option<string?> Data() => new("--data")
    {
        Description = "Folder with the Fashion-MNIST IDX files, raw or .gz (default: $PRUNUS_DATA, then /usr/share/datasets/fashion-mnist)",
        HelpName = "dir",
    };

    public static Option<bool> DenseFile() => new("--dense-file")
    {
        Description = "Write every weight densely (by default mostly-zero weights are stored compactly: nonzero values and one byte per gap, decoded by standard ONNX ops)",
    };

    /// <summary>
    /// How a compressed model is written: mostly-zero float32 and int8 weights (at least a quarter zeros) in the gap
    /// encoding, unless <paramref name="dense"/>.
    /// </summary>
    public static Prunus.Graph.Onnx.OnnxWriteOptions ModelWriteOptions(bool dense) =>
        new() { SparseZeroFraction = dense ? null : 0.25, SparseFormat = Prunus.Graph.Onnx.SparseWeightFormat.Gaps };

    /// <summary>Restricts a string option to <paramref name="values"/>, with an error that names the option.</summary>
    public static Option<string> OneOf(this Option<string> option, params string[] values)
    {
        option.HelpName = string.Join("|", values);
        option.Validators.Add(result =>
        {
            var value = result.GetValueOrDefault<string>();
            if (!values.Contains(value, StringComparer.Ordinal))
                result.AddError($"{option.Name} '{value}' is not one of: {string.Join(", ", values)}");
        });
        return option;
    }
}

/// <summary>A bad command-line value: the message names the option and says what to give instead.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message) : base(message) { }
}

/// <summary>Checks on option values that throw <see cref="UsageException"/>.</summary>
public static class Check
{
    public static int AtLeast(string option, int value, int min) =>
        value >= min ? value : throw new UsageException($"{option} must be at least {min}, got {value}");

    public static double InRange(string option, double value, double min, double max) =>
        value >= min && value <= max ? value : throw new UsageException($"{option} must be between {min} and {max}, got {value}");

    public static string ExistingFile(string what, string path) =>
        File.Exists(path) ? path : throw new UsageException($"{what} '{path}' does not exist");
}
