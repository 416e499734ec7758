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
        var inputs = new Option<string[]>("--input")
        {
            Description = "An NPY input: FILE (fills the model's inputs in order) or NAME=FILE; repeat for each input",
            HelpName = "[NAME=]FILE",
            AllowMultipleArgumentsPerToken = false,
            Required = true,
        };
        var outDir = new Option<string>("--output-dir") { Description = "Folder for the outputs: one NAME.npy per model output", Required = true, HelpName = "dir" };
        var threads = CliOptions.Threads();
        var cmd = new Command("run", "Run a model on NPY inputs and write each output as an NPY file") { model, inputs, outDir, threads };
        cmd.SetAction(p => Run(reporter(), p.GetValue(model)!, p.GetValue(inputs)!, p.GetValue(outDir)!, Check.AtLeast("--threads", p.GetValue(threads), 1)));
        return cmd;
    }

    [GeneratedRegex("[^A-Za-z0-9_.-]")]
    private static partial Regex UnsafeChars();

    /// <summary>The file name an output is written to: characters outside [A-Za-z0-9_.-] become '_'.</summary>
    public static string OutputFileName(string outputName) => UnsafeChars().Replace(outputName, "_") + ".npy";

    /// <summary>
    /// File names for all outputs, in order: <see cref="OutputFileName"/>, with _2, _3, ... added where two names would
    /// otherwise give the same file (e.g. "a/b" and "a:b"), so that no output replaces another.
    /// </summary>
    public static string[] OutputFileNames(IReadOnlyList<string> outputNames)
    {
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var files = new string[outputNames.Count];
        for (int i = 0; i < files.Length; i++)
        {
            var file = OutputFileName(outputNames[i]);
            for (int k = 2; !used.Add(file); k++) file = $"{OutputFileName(outputNames[i])[..^4]}_{k}.npy";
            files[i] = file;
        }
        return files;
    }

    private static int Run(Reporter r, string path, string[] inputSpecs, string outDir, int threads)
    {
        var graph = ModelFiles.Load(path);
        var declared = graph.DataInputs.ToList();
        var names = declared.Select(i => i.Name).ToList();
        var files = new Dictionary<string, string>(StringComparer.Ordinal);
        int position = 0;
        foreach (var spec in inputSpecs)
        {
            int eq = spec.IndexOf('=');
            string name, file;
            if (eq > 0 && names.Contains(spec[..eq])) { name = spec[..eq]; file = spec[(eq + 1)..]; }
            else if (eq > 0 && !File.Exists(spec))
                throw new UsageException($"--input '{spec}': the model has no input '{spec[..eq]}' (its inputs: {string.Join(", ", names)})");
            else
            {
                while (position < names.Count && files.ContainsKey(names[position])) position++;
                if (position >= names.Count)
                    throw new UsageException($"--input '{spec}': the model has only {names.Count} input(s) ({string.Join(", ", names)})");
                name = names[position++];
                file = spec;
            }
            if (files.ContainsKey(name)) throw new UsageException($"--input: input '{name}' is given twice");
            files[name] = file;
        }
        var missing = names.Where(n => !files.ContainsKey(n)).ToList();
        if (missing.Count > 0) throw new UsageException($"--input: no file given for model input(s) {string.Join(", ", missing.Select(m => $"'{m}'"))} (give NAME=FILE or one FILE per input, in order)");

        // Every output path is checked before anything runs: no output may replace an input or stop half-way.
        var outputNames = graph.Outputs.Select(o => o.Name).ToList();
        var outputFiles = OutputFileNames(outputNames).Select(f => Path.Combine(outDir, f)).ToList();
        OutputPaths.CheckFolder("--output-dir", outDir);
        (string, string)[] inputFiles = [(path, "the model file"), .. files.Select(kv => (kv.Value, $"the --input file of '{kv.Key}'"))];
        foreach (var file in outputFiles) OutputPaths.CheckFile("--output-dir", file, inputFiles);

        var feeds = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var input in declared)
        {
            var file = files[input.Name];
            var tensor = Npy.Read(Check.ExistingFile("--input file", file));
            if (tensor.Type != input.Type)
                throw new DataException($"--input {file}: model input '{input.Name}' is {input.Type}, the file holds {tensor.Type}");
            if (!input.Accepts(tensor.Shape))
                throw new DataException($"--input {file}: model input '{input.Name}' expects shape [{string.Join(",", input.Dims!)}], the file holds {ShapeMath.Format(tensor.Shape)}");
            feeds[input.Name] = tensor;
        }

        using var pool = new Threading.WorkerPool(threads);
        var session = new InferenceSession(graph, new PlanOptions { Pool = pool });
        var outputs = ModelFiles.Naming(path, () => session.Run(feeds));
        Directory.CreateDirectory(outDir);
        var written = new JsonObject();
        for (int i = 0; i < outputNames.Count; i++)
        {
            var (name, file) = (outputNames[i], outputFiles[i]);
            var tensor = outputs[name];
            Npy.Write(file, tensor);
            written[name] = file;
            r.Line($"{name}: {tensor} -> {file}");
        }
        r.Result(new JsonObject { ["model"] = path, ["outputs"] = written });
        return 0;
    }
}
