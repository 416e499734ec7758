using System.Diagnostics;
using System.Text.Json;
using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.IO;
using Prunus.Tensors;

namespace Prunus.Tests.Support;

/// <summary>
/// ONNX Runtime as a reference peer: runs a model through tools/ort/run.js (Node with onnxruntime-node, installed into
/// tools/ort/node_modules by scripts/setup.sh) and returns its outputs. Tests that need it use <see cref="OrtFactAttribute"/>,
/// which skips them when the peer is missing, unless PRUNUS_REQUIRE_ORT=1, in which case they run and fail with
/// <see cref="Get"/>'s message.
/// </summary>
public sealed class OrtPeer
{
    /// <summary>Environment variable that turns a missing peer from a skip into a failure.</summary>
    public const string RequireVariable = "PRUNUS_REQUIRE_ORT";

    private static readonly Lazy<(OrtPeer? Peer, string? Missing)> Located = new(Locate);

    /// <summary>The node executable.</summary>
    public string Node { get; }
    /// <summary>tools/ort/run.js of the repository.</summary>
    public string Script { get; }

    private OrtPeer(string node, string script) => (Node, Script) = (node, script);

    /// <summary>Whether tests must fail, rather than skip, when the peer is missing.</summary>
    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>Why the peer cannot be used, or null when it can.</summary>
    public static string? MissingReason => Located.Value.Missing;

    /// <summary>The peer; throws with what to do when it is not installed.</summary>
    public static OrtPeer Get() => Located.Value.Peer
        ?? throw new InvalidOperationException($"the ONNX Runtime peer is not available: {Located.Value.Missing}; run scripts/setup.sh");

    private static (OrtPeer?, string?) Locate()
    {
        var root = RepositoryRoot();
        if (root is null) return (null, $"no repository root (a folder with tools/ort/run.js) above {AppContext.BaseDirectory}");
        var script = Path.Combine(root, "tools", "ort", "run.js");
        var package = Path.Combine(root, "tools", "ort", "node_modules", "onnxruntime-node");
        if (!Directory.Exists(package)) return (null, $"{package} is missing");
        var node = FindOnPath("node");
        if (node is null) return (null, "node is not on PATH");
        return (new OrtPeer(node, script), null);
    }

    private static string? RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "tools", "ort", "run.js"))) return dir.FullName;
        return null;
    }

    private static string? FindOnPath(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Writes <paramref name="graph"/> as ONNX and runs it; see <see cref="Run(string, IReadOnlyDictionary{string, Tensor}, int, TimeSpan?)"/>.</summary>
    public Dictionary<string, Tensor> Run(ModelGraph graph, IReadOnlyDictionary<string, Tensor> inputs, OnnxWriteOptions? options = null, int threads = 1)
    {
        var dir = Directory.CreateTempSubdirectory("prunus-ort-");
        try
        {
            var model = Path.Combine(dir.FullName, "model.onnx");
            OnnxWriter.Save(graph, model, options);
            return Run(model, inputs, threads);
        }
        finally { dir.Delete(recursive: true); }
    }

    /// <summary>
    /// Runs the ONNX model at <paramref name="modelPath"/> in ONNX Runtime on <paramref name="inputs"/> (by graph input
    /// name) with <paramref name="threads"/> threads; returns every output by name. Throws with ONNX Runtime's message
    /// when it refuses the model or fails, and when it takes longer than <paramref name="timeout"/> (default 60 s).
    /// </summary>
    public Dictionary<string, Tensor> Run(string modelPath, IReadOnlyDictionary<string, Tensor> inputs, int threads = 1, TimeSpan? timeout = null)
    {
        var dir = Directory.CreateTempSubdirectory("prunus-ort-io-");
        try
        {
            var start = new ProcessStartInfo(Node)
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add(Script);
            start.ArgumentList.Add($"--threads={threads}");
            start.ArgumentList.Add(Path.GetFullPath(modelPath));
            var outDir = Path.Combine(dir.FullName, "out");
            start.ArgumentList.Add(outDir);
            int index = 0;
            foreach (var (name, tensor) in inputs)
            {
                var file = Path.Combine(dir.FullName, $"in{index++}.npy");
                Npy.Write(file, tensor);
                start.ArgumentList.Add($"{name}={file}");
            }

            using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {Node}");
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            var limit = timeout ?? TimeSpan.FromSeconds(60);
            if (!process.WaitForExit(limit))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                throw new TimeoutException($"ONNX Runtime did not finish {modelPath} within {limit.TotalSeconds:0} s");
            }
            process.WaitForExit(); // drains the redirected streams
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"ONNX Runtime failed (exit {process.ExitCode}): {stderr.Result.Trim()}");

            var line = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
                ?? throw new InvalidOperationException($"tools/ort/run.js printed nothing; stderr: {stderr.Result.Trim()}");
            using var json = JsonDocument.Parse(line);
            var results = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var output in json.RootElement.GetProperty("outputs").EnumerateArray())
            {
                var name = output.GetProperty("name").GetString()!;
                var file = output.GetProperty("file").GetString()!;
                results[name] = Npy.Read(Path.Combine(outDir, file));
            }
            return results;
        }
        finally { dir.Delete(recursive: true); }
    }
}

/// <summary>
/// A fact that needs ONNX Runtime: skipped (and so reported) when the peer is not installed, unless
/// PRUNUS_REQUIRE_ORT=1, when it runs and fails with a message to run scripts/setup.sh.
/// </summary>
public sealed class OrtFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the peer is missing and not required.</summary>
    public OrtFactAttribute()
    {
        if (OrtPeer.MissingReason is { } why && !OrtPeer.Required)
            Skip = $"ONNX Runtime peer not installed ({why}); run scripts/setup.sh, or set {OrtPeer.RequireVariable}=1 to make this a failure";
    }
}

/// <summary>The theory form of <see cref="OrtFactAttribute"/>.</summary>
public sealed class OrtTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the peer is missing and not required.</summary>
    public OrtTheoryAttribute()
    {
        if (OrtPeer.MissingReason is { } why && !OrtPeer.Required)
            Skip = $"ONNX Runtime peer not installed ({why}); run scripts/setup.sh, or set {OrtPeer.RequireVariable}=1 to make this a failure";
    }
}
