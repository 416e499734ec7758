using System.Security.Cryptography;
using System.Text.Json;
using Prunus.Cli;
using Prunus.Tests.Data;

namespace Prunus.Tests.Cli;

/// <summary>What one in-process run of the prunus command gave: exit code, stdout and stderr.</summary>
internal sealed record CliResult(int Code, string Out, string Err, string[] Args)
{
    /// <summary>The non-empty lines of stderr.</summary>
    public string[] ErrLines => Err.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Stdout as the single JSON object it must be in --json mode (nothing before or after it).</summary>
    public JsonElement Json()
    {
        Assert.True(Code == 0, Describe());
        var text = Out.Trim();
        Assert.StartsWith("{", text);
        Assert.DoesNotContain('\n', text);
        // JsonDocument.Parse rejects anything after the object, so this also proves there is nothing else on stdout.
        using var doc = JsonDocument.Parse(text);
        Assert.Equal(JsonValueKind.Object, doc.RootElement.ValueKind);
        return doc.RootElement.Clone();
    }

    /// <summary>Asserts a clean failure: non-zero exit, nothing on stdout, exactly one error line, no stack trace.</summary>
    public string SingleError(params string[] mentions)
    {
        Assert.True(Code != 0, Describe());
        Assert.True(Out.Trim().Length == 0 || !Args.Contains("--json"), Describe());
        var lines = ErrLines;
        Assert.True(lines.Length == 1, $"expected exactly one stderr line\n{Describe()}");
        Assert.StartsWith("prunus: error: ", lines[0]);
        Assert.DoesNotContain("internal error", lines[0]);
        Assert.DoesNotContain("   at ", Err);
        Assert.DoesNotContain("Exception", Err);
        foreach (var m in mentions) Assert.True(lines[0].Contains(m, StringComparison.Ordinal), $"the error should mention '{m}'\n{Describe()}");
        return lines[0];
    }

    public string Describe() => $"prunus {string.Join(' ', Args)}\nexit {Code}\n--- stdout\n{Out}\n--- stderr\n{Err}";
}

/// <summary>Runs the CLI in process through <see cref="Program.Run"/>.</summary>
internal static class Cli
{
    public static CliResult Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = Program.Run(args, stdout, stderr);
        return new CliResult(code, stdout.ToString(), stderr.ToString(), args);
    }

    /// <summary>SHA-256 of every file under <paramref name="dir"/> (or of one file), by path, to prove inputs are untouched.</summary>
    public static Dictionary<string, string> Hashes(string path)
    {
        var files = File.Exists(path) ? [path] : Directory.GetFiles(path, "*", SearchOption.AllDirectories);
        return files.Order(StringComparer.Ordinal).ToDictionary(f => f, f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));
    }
}

/// <summary>
/// Writes a tiny dataset in the Fashion-MNIST file format: 28x28 images of a learnable pattern (class k is a bright
/// two-row band at rows 4+2k and 5+2k over faint noise), in IDX files, raw or gzipped.
/// </summary>
internal static class SyntheticFashionMnist
{
    public const string TrainImages = "train-images-idx3-ubyte";
    public const string TrainLabels = "train-labels-idx1-ubyte";
    public const string TestImages = "t10k-images-idx3-ubyte";
    public const string TestLabels = "t10k-labels-idx1-ubyte";

    /// <summary>Writes the four files into <paramref name="dir"/>; returns the folder.</summary>
    public static string Write(string dir, int train = 256, int test = 128, bool gzip = false, int seed = 1)
    {
        Directory.CreateDirectory(dir);
        var rng = new Random(seed);
        void Put(string name, byte[] raw) => File.WriteAllBytes(Path.Combine(dir, name + (gzip ? ".gz" : "")), gzip ? IdxTests.Gzip(raw) : raw);
        var (trainImages, trainLabels) = Images(train, rng);
        var (testImages, testLabels) = Images(test, rng);
        Put(TrainImages, IdxTests.Idx([train, 28, 28], trainImages));
        Put(TrainLabels, IdxTests.Idx([train], trainLabels));
        Put(TestImages, IdxTests.Idx([test, 28, 28], testImages));
        Put(TestLabels, IdxTests.Idx([test], testLabels));
        return dir;
    }

    private static (byte[] Images, byte[] Labels) Images(int count, Random rng)
    {
        var images = new byte[count * 784];
        var labels = new byte[count];
        for (int i = 0; i < count; i++)
        {
            int k = i % 10;
            labels[i] = (byte)k;
            var img = images.AsSpan(i * 784, 784);
            for (int p = 0; p < 784; p++) img[p] = (byte)rng.Next(0, 40);
            for (int row = 4 + 2 * k; row < 6 + 2 * k; row++)
                for (int col = 2; col < 26; col++) img[row * 28 + col] = (byte)rng.Next(180, 256);
        }
        return (images, labels);
    }
}
