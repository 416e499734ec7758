using System.CommandLine;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Prunus.Cli.Console;
using Prunus.Graph.Planning;
using Prunus.IO;
using Prunus.Tensors;

namespace Prunus.Cli.Commands;

/// <summary>prunus run MODEL.onnx --input X.npy [--input NAME=Y.npy] --output-dir DIR: runs a model on NPY inputs.</summary>
public sealed partial class RunCommand : ICliCommand
{
    public Command Build(Func<Reporter> reporter)
    {
        var model = new Argument<string>("model") { Description = "ONNX model file" };
        var inputs = new Option<string[]>("--input") { Description = "An NPY input: FILE (inputs in order) or NAME=FILE", AllowMultipleArgumentsPerToken = false, Required = true };
        var outDir = new Option<string>("--output-dir") { Description = "Folder for the outputs, one NAME.npy each", Required = true };
        var threads = CliOptions.Threads();
        var cmd = new Command("run", "Run a model on NPY inputs and write each output as NPY") { model, inputs, outDir, threads };
        cmd.SetAction(p => Run(reporter(), p.GetValue(model)!, p.GetValue(inputs)!, p.GetValue(outDir)!, Check.AtLeast("--threads", p.GetValue(threads), 1)));
        return cmd;
    }

    [GeneratedRegex("[^A-Za-z0-9_.-]")]
    private static partial Regex UnsafeChars();

    /// <summary>The file name an output is written to: characters outside [A-Za-z0-9_.-] become '_'.</summary>
    public static string OutputFileName(string outputName) => UnsafeChars().Replace(outputName, "_") + ".npy";

    private static int Run(Reporter r, string path, string[] inputSpecs, string outDir, int threads)
    {
        var graph = ModelFiles.Load(path);
        var names = graph.DataInputs.Select(i => i.Name).ToList();
        var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        int position = 0;
        foreach (var spec in inputSpecs)
        {
            int eq = spec.IndexOf('=');
            string name, file;
            if (eq > 0 && names.Contains(spec[..eq])) { name = spec[..eq]; file = spec[(eq + 1)..]; }
            else
            {
                while (position < names.Count && feeds.ContainsKey(names[position])) position++;
                if (position >= names.Count)
                    throw new UsageException($"--input '{spec}': the model has only {names.Count} input(s) ({string.Join(", ", names)})");
                name = names[position++];
                file = spec;
            }
            if (feeds.ContainsKey(name)) throw new UsageException($"--input: input '{name}' is given twice");
            feeds[name] = Npy.Read(Check.ExistingFile("--input file", file));
        }
        var missing = names.Where(n => !feeds.ContainsKey(n)).ToList();
        if (missing.Count > 0) throw new UsageException($"no --input given for model input(s): {string.Join(", ", missing)}");

        using var pool = new Threading.WorkerPool(threads);
        var session = new InferenceSession(graph, new PlanOptions { Pool = pool });
        var outputs = session.Run(feeds);
        Directory.CreateDirectory(outDir);
        var written = new JsonObject();
        foreach (var (name, tensor) in outputs)
        {
            var file = Path.Combine(outDir, OutputFileName(name));
            Npy.Write(file, tensor);
            written[name] = file;
            r.Line($"{name}: {tensor} -> {file}");
        }
        r.Result(new JsonObject { ["model"] = path, ["outputs"] = written });
        return 0;
    }
}
