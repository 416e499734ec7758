using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Prunus.Cli.Console;
using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Analysis;
using Prunus.Pruning;
using Prunus.Pruning.Criteria;
using Prunus.Pruning.Obs;
using Prunus.Pruning.Structured;
using Prunus.Pruning.Sensitivity;
using Prunus.Threading;
using Prunus.Training;

namespace Prunus.Cli.Commands;

/// <summary>
/// prunus prune MODEL.onnx --out PRUNED.onnx --sparsity 0.9 ...: prunes a classifier (Prunus-trained or imported),
/// fine-tunes it if asked, and prints a before/after table. The input file is never modified.
/// </summary>
public sealed class PruneCommand : ICliCommand
{
    internal static readonly string[] Methods = ["magnitude", "random", "fpgm", "taylor", "wanda", "obs"];
    internal static readonly string[] Schedules = ["oneshot", "iterative", "agp", "lottery"];

    public Command Build(Func<Reporter> reporter)
    {
        var model = new Argument<string>("model") { Description = "ONNX classifier (input images [N,1,28,28] or [N,784], output logits [N,10])" };
        var output = new Option<string>("--out") { Description = "Where to write the pruned model (ONNX)", Required = true, HelpName = "file" };
        var sparsity = new Option<double>("--sparsity") { Description = "Fraction of the prunable weights to remove (of the FLOPs with --target flops); N:M sets its own", DefaultValueFactory = _ => 0.5, HelpName = "s" };
        var method = new Option<string>("--method") { Description = "Importance criterion", DefaultValueFactory = _ => "magnitude" }.OneOf(Methods);
        var granularity = new Option<string>("--granularity") { Description = "What is removed: unstructured, N:M (e.g. 2:4), block:RxC (e.g. block:1x4), or channel (the model is physically shrunk)", DefaultValueFactory = _ => "unstructured", HelpName = "g" };
        var scope = new Option<string>("--scope") { Description = "One ranking across layers, each layer to the sparsity, or each output row of each layer (Wanda's comparison groups)", DefaultValueFactory = _ => "global" }.OneOf("global", "layer", "row");
        var roundTo = new Option<int>("--round-to") { Description = "Channel granularity: keep a multiple of this many channels in each group (e.g. 8)", DefaultValueFactory = _ => 1, HelpName = "n" };
        var calibration = new Option<int>("--calibration") { Description = "Training images used by data-driven criteria (taylor, wanda, obs) and BatchNorm recalibration", DefaultValueFactory = _ => 1024, HelpName = "n" };
        var target = new Option<string>("--target") { Description = "What --sparsity counts in global scope: weights, FLOPs, or (channel granularity) latency on this machine at the --latency-batch sizes", DefaultValueFactory = _ => "params" }.OneOf("params", "flops", "latency");
        var schedule = new Option<string>("--schedule") { Description = "When to prune: once, in rounds with fine-tuning, gradually during fine-tuning (cubic), or lottery-ticket rewinding", DefaultValueFactory = _ => "oneshot" }.OneOf(Schedules);
        var epochs = new Option<int>("--epochs") { Description = "Fine-tuning epochs in all (0: none)", DefaultValueFactory = _ => 0, HelpName = "n" };
        var rounds = new Option<int>("--rounds") { Description = "Pruning rounds of the iterative and lottery schedules", DefaultValueFactory = _ => 3, HelpName = "n" };
        var distill = new Option<bool>("--distill") { Description = "Fine-tune with knowledge distillation from the unpruned model" };
        var lr = new Option<double>("--lr") { Description = "Fine-tuning learning rate (SGD, momentum 0.9, weight decay 5e-4)", DefaultValueFactory = _ => 0.005, HelpName = "rate" };
        var batch = new Option<int>("--batch") { Description = "Fine-tuning batch size", DefaultValueFactory = _ => 64, HelpName = "n" };
        var minDensity = new Option<double>("--min-density") { Description = "Global scope: every layer keeps at least this fraction of its weights", DefaultValueFactory = _ => 0, HelpName = "d" };
        var ignore = new Option<string?>("--ignore") { Description = "Layers (node or weight names, comma-separated) never pruned", HelpName = "names" };
        var sensitivity = new Option<string?>("--sensitivity") { Description = "Sensitivity report from `prunus sensitivity`: per-layer sparsities are allocated from it to meet --sparsity", HelpName = "file" };
        var rewind = new Option<int>("--rewind-steps") { Description = "Lottery schedule: training steps after which weights are saved for rewinding (0: the input weights)", DefaultValueFactory = _ => 0, HelpName = "n" };
        var data = CliOptions.Data();
        var seed = new Option<ulong>("--seed") { Description = "Seed of shuffling and of the random criterion", DefaultValueFactory = _ => 0, HelpName = "n" };
        var threads = CliOptions.Threads();
        var latency = new Option<string>("--latency-batch") { Description = "Batch sizes at which latency is measured before and after, and at which --target latency times the layers (comma-separated; 0: none)", DefaultValueFactory = _ => "1,64", HelpName = "n,n" };
        var denseFile = CliOptions.DenseFile();
        var cmd = new Command("prune", "Prune a model, fine-tune it if asked, and compare it with the original")
        {
            model, output, sparsity, method, granularity, scope, roundTo, calibration, target, schedule, epochs, rounds, distill, lr, batch, minDensity,
            ignore, sensitivity, rewind, data, seed, threads, latency, denseFile,
        };
        cmd.SetAction(p =>
        {
            Granularity g;
            try { g = Granularity.Parse(p.GetValue(granularity)!); }
            catch (ArgumentException e) { throw new UsageException($"--granularity: {e.Message}"); }
            var settings = new Settings
            {
                Model = p.GetValue(model)!,
                Output = p.GetValue(output)!,
                Method = p.GetValue(method)!,
                Schedule = p.GetValue(schedule)!,
                Target = new PruningTarget
                {
                    Sparsity = Check.InRange("--sparsity", p.GetValue(sparsity), 0, 0.9999),
                    Granularity = g,
                    Scope = p.GetValue(scope) switch { "layer" => PruningScope.Layer, "row" => PruningScope.Row, _ => PruningScope.Global },
                    Measure = p.GetValue(target) switch { "flops" => TargetMeasure.Flops, "latency" => TargetMeasure.Latency, _ => TargetMeasure.Params },
                    MinDensity = Check.InRange("--min-density", p.GetValue(minDensity), 0, 1),
                },
                Epochs = Check.AtLeast("--epochs", p.GetValue(epochs), 0),
                RoundTo = Check.AtLeast("--round-to", p.GetValue(roundTo), 1),
                CalibrationImages = Check.AtLeast("--calibration", p.GetValue(calibration), 1),
                Rounds = Check.AtLeast("--rounds", p.GetValue(rounds), 1),
                Distill = p.GetValue(distill),
                LearningRate = Check.InRange("--lr", p.GetValue(lr), 0, 100),
                Batch = Check.AtLeast("--batch", p.GetValue(batch), 1),
                Ignore = (p.GetValue(ignore) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Sensitivity = p.GetValue(sensitivity),
                RewindSteps = Check.AtLeast("--rewind-steps", p.GetValue(rewind), 0),
                Data = p.GetValue(data),
                Seed = p.GetValue(seed),
                Threads = Check.AtLeast("--threads", p.GetValue(threads), 1),
                LatencyBatches = ParseBatches(p.GetValue(latency)!),
                DenseFile = p.GetValue(denseFile),
            };
            return Run(reporter(), settings);
        });
        return cmd;
    }

    internal static int[] ParseBatches(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var batches = parts.Select(s => int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var b) ? b
            : throw new UsageException($"--latency-batch: '{s}' is not a whole number")).ToArray();
        return batches.Contains(0) ? [] : batches;
    }

    private sealed record Settings
    {
        public required string Model { get; init; }
        public required string Output { get; init; }
        public required string Method { get; init; }
        public required string Schedule { get; init; }
        public required PruningTarget Target { get; init; }
        public int Epochs { get; init; }
        public int RoundTo { get; init; }
        public int CalibrationImages { get; init; }
        public int Rounds { get; init; }
        public bool Distill { get; init; }
        public double LearningRate { get; init; }
        public int Batch { get; init; }
        public string[] Ignore { get; init; } = [];
        public string? Sensitivity { get; init; }
        public int RewindSteps { get; init; }
        public string? Data { get; init; }
        public ulong Seed { get; init; }
        public int Threads { get; init; }
        public int[] LatencyBatches { get; init; } = [];
        public bool DenseFile { get; init; }
    }

    /// <summary>The element criterion of a --method (OBS and FPGM have none of their own: magnitude stands in).</summary>
    internal static IImportance Criterion(string method, ulong seed) => method switch
    {
        "random" => new RandomImportance(seed),
        "taylor" => Taylor.Instance,
        "wanda" => Wanda.Instance,
        _ => Magnitude.L1,
    };

    private static void CheckMethod(string method, Granularity granularity)
    {
        if (method == "fpgm" && !granularity.IsStructured)
            throw new UsageException("--method fpgm scores whole filters by their distance to the geometric median: use it with --granularity channel");
        if (method == "obs" && granularity is not (UnstructuredGranularity or NOfM))
            throw new UsageException($"--method obs reconstructs unstructured or N:M sparsity, not {granularity}");
    }

    private static int Run(Reporter r, Settings s)
    {
        CheckMethod(s.Method, s.Target.Granularity);
        if (s.Target.Measure == TargetMeasure.Latency && s.Target.Granularity.IsStructured && s.LatencyBatches.Length == 0)
            throw new UsageException("--target latency times the layers at the --latency-batch sizes: give at least one (e.g. --latency-batch 1,64)");
        if (s.Target.Measure == TargetMeasure.Latency && s.Sensitivity is not null)
            throw new UsageException("--sensitivity allocates by parameters or FLOPs: use --target params or flops with it, or drop --sensitivity to rank channels by latency");
        var inputPath = Check.ExistingFile("model", s.Model);
        var files = FashionMnist.Locate(s.Data);
        OutputPaths.CheckFile("--out", s.Output, [(inputPath, "the input model"), (files.TrainImages, "a dataset file"),
            (files.TrainLabels, "a dataset file"), (files.TestImages, "a dataset file"), (files.TestLabels, "a dataset file")]);
        var graph = ModelFiles.Load(inputPath);
        var test = FashionMnist.LoadSet(files.TestImages, files.TestLabels);
        var train = FashionMnist.LoadSet(files.TrainImages, files.TrainLabels); // fine-tuning and calibration
        using var pool = new WorkerPool(s.Threads);
        var wall = Stopwatch.StartNew();

        var before = ModelFiles.Naming(inputPath, () => r.WithProgress("measuring the input model", _ =>
            ModelFigures.Measure(graph, new FileInfo(inputPath).Length, test, pool)));
        var layersBefore = PrunableLayers.Find(graph, s.Ignore);
        r.Line($"{Path.GetFileName(inputPath)}: {layersBefore.Count} prunable layers, {Fmt.Count(before.Params)} parameters, accuracy {before.Accuracy:F4}");

        var target = s.Target;
        if (target.Measure == TargetMeasure.Flops) target = target with { FlopsPerWeight = FlopsPerWeight(graph, layersBefore) };
        if (s.Sensitivity is { } sensitivityPath)
        {
            var report = SensitivityReport.Load(Check.ExistingFile("--sensitivity", sensitivityPath));
            if ((report.Granularity == "channel") != target.Granularity.IsStructured)
                throw new UsageException($"--sensitivity {Path.GetFileName(sensitivityPath)} analysed {report.Granularity} pruning, but --granularity is {target.Granularity}: analyse with the same granularity");
            var allocation = SensitivityAllocation.Allocate(report, target.Sparsity, target.Measure);
            target = target with { LayerSparsity = allocation.Sparsity };
            r.Line($"per-layer sparsities from {Path.GetFileName(sensitivityPath)} (predicted loss {allocation.PredictedLoss * 100:F2} pt): " +
                string.Join(", ", allocation.Sparsity.Select(kv => $"{kv.Key} {kv.Value:P0}")));
        }
        var recipe = new PruningRecipe
        {
            Importance = Criterion(s.Method, s.Seed),
            Obs = s.Method == "obs" ? new SparseGptOptions() : null,
            ChannelImportance = s.Method switch { "fpgm" => new Fpgm(), "random" => new RandomChannelImportance(s.Seed), _ => null },
            RoundTo = s.RoundTo,
            CalibrationImages = s.CalibrationImages,
            Target = target,
            Schedule = s.Schedule switch
            {
                "iterative" => PruningSchedule.Iterative,
                "agp" => PruningSchedule.Gradual,
                "lottery" => PruningSchedule.Lottery,
                _ => PruningSchedule.OneShot,
            },
            Epochs = s.Epochs,
            Rounds = s.Rounds,
            Distill = s.Distill,
            RewindSteps = s.RewindSteps,
            Ignore = s.Ignore,
            LatencyBatches = s.LatencyBatches,
            Training = new TrainerOptions { LearningRate = s.LearningRate, BatchSize = s.Batch, Seed = s.Seed, Pool = pool },
        };
        PruningRunner runner;
        try { runner = new PruningRunner(recipe, train); }
        catch (ArgumentException e) { throw new UsageException(e.Message); }
        runner.Log = r.Line;
        r.WithProgress("pruning", progress =>
        {
            runner.TrainingProgress = (phase, p) =>
            {
                if (!p.EpochDone && p.Step != 1 && p.Step % 20 != 0) return;
                progress((p.Epoch + (double)p.Step / p.StepsPerEpoch) / Math.Max(1, p.Epochs),
                    $"{phase}: epoch {p.Epoch + 1}/{p.Epochs} loss {p.Loss:F4} acc {p.Accuracy:F4}");
            };
            if (!target.Granularity.IsStructured) return ModelFiles.Naming(inputPath, () => runner.Run(graph));
            var structured = ModelFiles.Naming(inputPath, () => runner.RunStructured(graph));
            graph = structured.Graph;
            return null;
        });

        graph.Metadata.Properties["prunus.pruning"] = $"{s.Method} {target.Granularity} {target.Scope} sparsity {target.Sparsity} schedule {s.Schedule} epochs {s.Epochs}";
        // Mostly-zero weights are stored as their nonzero values and one byte per gap, decoded by standard ops that ONNX
        // Runtime folds at load, so the file shrinks (about 5 bytes per nonzero).
        ModelFiles.Save(graph, s.Output, options: CliOptions.ModelWriteOptions(s.DenseFile));
        var after = r.WithProgress("measuring the pruned model", _ =>
            ModelFigures.Measure(graph, new FileInfo(s.Output).Length, test, pool));
        // Both models timed together, alternating, so that the speed-up does not depend on what else ran meanwhile.
        var (latencyBefore, latencyAfter) = ModelFiles.Naming(inputPath, () => r.WithProgress("timing both models", progress =>
            LatencyMeter.MeasurePair(ModelFiles.Load(inputPath), graph, s.LatencyBatches, 1.0, pool, progress)));
        before = before with { Latency = latencyBefore };
        after = after with { Latency = latencyAfter };

        var layers = PrunableLayers.Find(graph);
        r.Table("layers", ["layer", "weights", "sparsity"], layers.Select(l => (IReadOnlyList<string>)[l.Name, Fmt.Count(l.Size), Fmt.Pct(l.Sparsity())]));
        // One global ranking compares raw scores across layers, so a layer whose weights are small (a wide fc layer) or
        // cheap (with --target flops) can be emptied almost entirely; say so where it happened.
        var emptied = layers.Where(l => l.Sparsity() >= 0.99).Select(l => l.Name).ToList();
        if (target.Scope == PruningScope.Global && target.MinDensity == 0 && target.LayerSparsity is null && emptied.Count > 0)
            r.Line($"note: {string.Join(", ", emptied)} kept under 1% of {(emptied.Count == 1 ? "its" : "their")} weights under the global ranking; " +
                "if accuracy suffers, give every layer a floor (--min-density 0.05) or allocate per-layer sparsities (prunus sensitivity, then --sensitivity)");
        // Global magnitude ranks conv weights (few, large, each used at every position) above fc weights, so the FLOPs
        // can fall far less than the weights.
        double flopsKept = before.NonZeroFlops > 0 ? (double)after.NonZeroFlops / before.NonZeroFlops : 1;
        if (!target.Granularity.IsStructured && target.Scope == PruningScope.Global && target.Measure == TargetMeasure.Params
            && target.LayerSparsity is null && after.Sparsity > 0.5 && flopsKept > 2 * (1 - after.Sparsity))
            r.Line($"note: {after.Sparsity:P0} of the weights are zero but {flopsKept:P0} of the FLOPs remain (the global ranking kept the " +
                "convolutions denser) and the sparse kernels' speed follows the FLOPs; for speed, prune every layer alike (--scope layer), " +
                "which costs some accuracy (docs/benchmarks.md)");
        ModelFigures.Table(r, $"{Path.GetFileName(inputPath)} -> {Path.GetFileName(s.Output)}", before, after);
        var result = after.ToJson();
        result["model"] = inputPath;
        result["out"] = s.Output;
        result["method"] = s.Method;
        result["granularity"] = target.Granularity.ToString();
        result["scope"] = target.Scope.ToString().ToLowerInvariant();
        result["schedule"] = s.Schedule;
        result["epochs"] = s.Epochs;
        result["seconds"] = wall.Elapsed.TotalSeconds;
        result["before"] = before.ToJson();
        result["after"] = after.ToJson();
        result["layers"] = new JsonArray(layers.Select(l => (JsonNode)new JsonObject { ["name"] = l.Name, ["weights"] = l.Size, ["sparsity"] = l.Sparsity() }).ToArray());
        r.Result(result);
        return 0;
    }

    /// <summary>FLOPs per weight of each layer at batch 1 (a conv weight is used once per output position).</summary>
    internal static Dictionary<string, double> FlopsPerWeight(ModelGraph graph, IReadOnlyList<PrunableLayer> layers)
    {
        var summary = ModelSummary.Of(graph);
        return layers.ToDictionary(l => l.WeightName,
            l => (double)(summary.Layers.FirstOrDefault(x => x.Name == l.Node.Name)?.Flops ?? l.Size) / l.Size, StringComparer.Ordinal);
    }
}
