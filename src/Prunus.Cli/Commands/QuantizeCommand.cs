using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Prunus.Cli.Console;
using Prunus.Data;
using Prunus.Graph;
using Prunus.Pruning;
using Prunus.Quantization;
using Prunus.Quantization.Dynamic;
using Prunus.Quantization.Observers;
using Prunus.Quantization.Qat;
using Prunus.Quantization.Static;
using Prunus.Quantization.WeightOnly;
using Prunus.Training;
using Prunus.Threading;

namespace Prunus.Cli.Commands;

/// <summary>
/// prunus quantize MODEL.onnx --out Q.onnx [--mode static|dynamic|weight-only|qat] ...: quantizes a classifier in
/// ONNX Runtime's QDQ (static, and quantization-aware training) or dynamic format, or its weights alone to int8/int4
/// with group-wise scales (weight-only), and prints the same before/after table as prune. The input file is never
/// modified.
/// </summary>
public sealed class QuantizeCommand : ICliCommand
{
    /// <summary>Every --mode name; <see cref="ParseMode"/> decides which run.</summary>
    internal static readonly string[] Modes = ["static", "dynamic", "weight-only", "qat"];

    /// <summary>The modes that run.</summary>
    internal enum Mode { Static, Dynamic, WeightOnly, Qat }

    public Command Build(Func<Reporter> reporter)
    {
        var model = new Argument<string>("model") { Description = "ONNX classifier (input images [N,1,28,28] or [N,784], output logits [N,10])" };
        var output = new Option<string>("--out") { Description = "Where to write the quantized model (ONNX)", Required = true, HelpName = "file" };
        var mode = new Option<string>("--mode") { Description = "static: calibrated QDQ int8 (Conv, Gemm, MatMul); dynamic: int8 weights with activations quantized at run time (Gemm, MatMul); " +
            "weight-only: int8/int4 weights with group-wise scales, activations float; qat: quantization-aware training to QDQ int8", DefaultValueFactory = _ => "static" }.OneOf(Modes);
        var calibration = new Option<string>("--calibration") { Description = "How activation ranges are calibrated (static)", DefaultValueFactory = _ => "minmax" }.OneOf([.. CalibrationMethods.Names]);
        var percentile = new Option<double>("--percentile") { Description = "Percentile kept by --calibration percentile", DefaultValueFactory = _ => 99.99, HelpName = "p" };
        var weightRange = new Option<string>("--weight-range") { Description = "How weight ranges are chosen: the extremes, or the range with the least squared error over the weights", DefaultValueFactory = _ => "minmax" }.OneOf("minmax", "mse");
        var perChannel = new Option<bool>("--per-channel") { Description = "One weight scale per output channel (the default)" };
        var perTensor = new Option<bool>("--per-tensor") { Description = "One weight scale per weight tensor" };
        var symmetric = new Option<bool>("--symmetric") { Description = "Symmetric ranges for activations as well as weights (zero point at the middle)" };
        var asymmetric = new Option<bool>("--asymmetric") { Description = "Asymmetric ranges for weights as well as activations (by default activations are asymmetric, weights symmetric)" };
        var activations = new Option<string>("--activations") { Description = "Integer type of quantized activations (static)", DefaultValueFactory = _ => "uint8" }.OneOf("uint8", "int8");
        var fullRange = new Option<bool>("--full-range") { Description = "Weights in all 8 bits ([-127, 127]) rather than 7 ([-64, 64]); exact on Prunus and on CPUs with VNNI, but ONNX Runtime's int8 kernels on x86 CPUs without VNNI saturate on them" };
        var floatOutputs = new Option<bool>("--float-outputs") { Description = "Leave the model's outputs (the logits) in float rather than quantizing them as ONNX Runtime does: 256 levels make ties between the top classes (static)" };
        var bits = new Option<int>("--bits") { Description = "Bits per weight: 8, or 4 (weight-only and qat)", DefaultValueFactory = _ => 8, HelpName = "n" };
        var groupSize = new Option<int>("--group-size") { Description = "Weights per scale along the reduction (weight-only; 0: one scale per output channel)", DefaultValueFactory = _ => 32, HelpName = "n" };
        var rounding = new Option<string>("--rounding") { Description = "Weight rounding (weight-only): round to nearest, or GPTQ from calibration images", DefaultValueFactory = _ => "rtn" }.OneOf("rtn", "gptq");
        var actOrder = new Option<bool>("--act-order") { Description = "GPTQ visits the inputs with the most energy first (weight-only, --rounding gptq)" };
        var epochs = new Option<int>("--epochs") { Description = "Epochs of quantization-aware training (qat)", DefaultValueFactory = _ => 1, HelpName = "n" };
        var lsq = new Option<bool>("--lsq") { Description = "Learn the quantization step sizes (LSQ) during quantization-aware training (qat)" };
        var lr = new Option<double>("--lr") { Description = "Learning rate of quantization-aware training (qat; SGD with momentum 0.9)", DefaultValueFactory = _ => 0.001, HelpName = "rate" };
        var batch = new Option<int>("--batch") { Description = "Images per step of quantization-aware training (qat)", DefaultValueFactory = _ => 64, HelpName = "n" };
        var distill = new Option<bool>("--distill") { Description = "Distill from the float model during quantization-aware training (qat; one more float forward per step)" };
        var data = CliOptions.Data();
        var images = new Option<int>("--calibration-images") { Description = "Training images that calibrate activation ranges and bias correction", DefaultValueFactory = _ => 1024, HelpName = "n" };
        var maxLoss = new Option<double?>("--max-loss") { Description = "Accuracy points the quantized model may lose on a held-out split of the training set; the most sensitive layers stay in float until it loses no more", HelpName = "points" };
        var validation = new Option<int>("--validation") { Description = "Images at the end of the training set held out to measure --max-loss", DefaultValueFactory = _ => 5000, HelpName = "n" };
        var noBiasCorrection = new Option<bool>("--no-bias-correction") { Description = "Keep biases as they are (by default each layer's mean output shift on the calibration images is folded into its bias)" };
        var exclude = new Option<string?>("--exclude") { Description = "Layers (node or weight names, comma-separated) kept in float", HelpName = "names" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the calibration image draw", DefaultValueFactory = _ => 0, HelpName = "n" };
        var threads = CliOptions.Threads();
        var latency = new Option<string>("--latency-batch") { Description = "Batch sizes at which latency is measured before and after (comma-separated; 0: none)", DefaultValueFactory = _ => "1,64", HelpName = "n,n" };
        var denseFile = CliOptions.DenseFile();
        var cmd = new Command("quantize", "Quantize a model to int8 (static QDQ or dynamic) and compare it with the original")
        {
            model, output, mode, calibration, percentile, weightRange, perChannel, perTensor, symmetric, asymmetric, activations, fullRange, floatOutputs, bits,
            groupSize, rounding, actOrder, epochs, lsq, lr, batch, distill, data, images, maxLoss, validation, noBiasCorrection, exclude, seed, threads, latency, denseFile,
        };
        cmd.SetAction(p =>
        {
            var m = ParseMode(p.GetValue(mode)!);
            CheckBits(p.GetValue(bits), m);
            // Options of one mode given to another are mistakes: say which mode they belong to.
            bool Given(Option o) => p.GetResult(o) is { Implicit: false };
            CheckApplies(m, Mode.WeightOnly, "weight-only", Given(groupSize) ? "--group-size" : Given(rounding) ? "--rounding" : Given(actOrder) ? "--act-order" : null);
            CheckApplies(m, Mode.Qat, "qat", Given(epochs) ? "--epochs" : Given(lsq) ? "--lsq" : Given(lr) ? "--lr" : Given(batch) ? "--batch" : Given(distill) ? "--distill" : null);
            if (m is Mode.WeightOnly or Mode.Qat)
            {
                var staticOnly = Given(maxLoss) ? "--max-loss" : Given(validation) ? "--validation" : Given(noBiasCorrection) ? "--no-bias-correction" : null;
                if (staticOnly is not null) throw new UsageException($"{staticOnly} applies to --mode static");
            }
            if (m == Mode.WeightOnly)
            {
                var notHere = Given(calibration) ? "--calibration" : Given(percentile) ? "--percentile" : Given(activations) ? "--activations" : Given(symmetric) ? "--symmetric"
                    : Given(perTensor) ? "--per-tensor" : Given(fullRange) ? "--full-range" : Given(weightRange) ? "--weight-range" : Given(floatOutputs) ? "--float-outputs" : null;
                if (notHere is not null) throw new UsageException($"{notHere} does not apply to --mode weight-only: its activations stay float and its weights have a scale per group (--group-size)");
            }
            if (m == Mode.Qat && p.GetValue(asymmetric)) throw new UsageException("--asymmetric does not apply to --mode qat: its weights are symmetric (activations are asymmetric by default)");
            if (m == Mode.Qat && Given(weightRange)) throw new UsageException("--weight-range applies to --mode static or dynamic: quantization-aware training scales each weight channel by its largest magnitude (or learns the scale, --lsq)");
            if (p.GetValue(bits) == 4 && Given(fullRange)) throw new UsageException("--full-range applies to 8-bit weights; 4-bit weights always use their whole range");
            if (Given(actOrder) && p.GetValue(rounding) != "gptq") throw new UsageException("--act-order applies to --rounding gptq");
            if (p.GetValue(perChannel) && p.GetValue(perTensor)) throw new UsageException("--per-channel and --per-tensor exclude each other: give one");
            if (p.GetValue(symmetric) && p.GetValue(asymmetric)) throw new UsageException("--symmetric and --asymmetric exclude each other: give one");
            var granularity = p.GetValue(perTensor) ? ScaleGranularity.PerTensor : ScaleGranularity.PerChannel;
            bool? allSymmetric = p.GetValue(symmetric) ? true : p.GetValue(asymmetric) ? false : null;
            var settings = new Settings
            {
                Model = p.GetValue(model)!,
                Output = p.GetValue(output)!,
                Mode = m,
                Calibration = CalibrationMethods.Parse(p.GetValue(calibration)!),
                Percentile = Check.InRange("--percentile", p.GetValue(percentile), 1e-9, 100),
                WeightRange = p.GetValue(weightRange) == "mse" ? WeightRangeMethod.Mse : WeightRangeMethod.MinMax,
                // 8-bit weights keep to 7 bits unless --full-range (see StaticQuantizationOptions); 4-bit ones use all 4.
                Weights = p.GetValue(bits) == 4 ? new QuantizationSpec(QuantizedType.Int4, allSymmetric ?? true, granularity)
                    : new QuantizationSpec(QuantizedType.Int8, allSymmetric ?? true, granularity, ReduceRange: !p.GetValue(fullRange)),
                Activations = new QuantizationSpec(QuantizedTypes.Parse(p.GetValue(activations)!), allSymmetric ?? false),
                CalibrationImages = Check.AtLeast("--calibration-images", p.GetValue(images), 1),
                MaxLoss = p.GetValue(maxLoss) is { } ml ? Check.InRange("--max-loss", ml, 0, 100) : null,
                Validation = Check.AtLeast("--validation", p.GetValue(validation), 1),
                BiasCorrection = !p.GetValue(noBiasCorrection),
                FloatOutputs = p.GetValue(floatOutputs),
                Exclude = (p.GetValue(exclude) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                Data = p.GetValue(data),
                Seed = p.GetValue(seed),
                Threads = Check.AtLeast("--threads", p.GetValue(threads), 1),
                LatencyBatches = PruneCommand.ParseBatches(p.GetValue(latency)!),
                Bits = p.GetValue(bits),
                GroupSize = Check.AtLeast("--group-size", p.GetValue(groupSize), 0),
                Gptq = p.GetValue(rounding) == "gptq",
                ActOrder = p.GetValue(actOrder),
                Epochs = Check.AtLeast("--epochs", p.GetValue(epochs), 1),
                Lsq = p.GetValue(lsq),
                LearningRate = Check.InRange("--lr", p.GetValue(lr), 0, 100),
                BatchSize = Check.AtLeast("--batch", p.GetValue(batch), 1),
                Distill = p.GetValue(distill),
                DenseFile = p.GetValue(denseFile),
            };
            if (m == Mode.Dynamic) CheckDynamic(p.GetResult(calibration) is { Implicit: false }, settings);
            return Run(reporter(), settings);
        });
        return cmd;
    }

    /// <summary>The one switch over --mode: modes this build runs, and those still to come.</summary>
    internal static Mode ParseMode(string mode) => mode switch
    {
        "static" => Mode.Static,
        "dynamic" => Mode.Dynamic,
        "weight-only" => Mode.WeightOnly,
        "qat" => Mode.Qat,
        _ => throw new UsageException($"--mode '{mode}' is not one of: {string.Join(", ", Modes)}"),
    };

    /// <summary>Static and dynamic quantization store 8-bit weights; weight-only and quantization-aware training 8 or 4.</summary>
    internal static void CheckBits(int bits, Mode mode)
    {
        if (bits == 8) return;
        if (bits == 4)
        {
            if (mode is Mode.WeightOnly or Mode.Qat) return;
            throw new UsageException($"--bits 4 applies to --mode weight-only or qat; {(mode == Mode.Static ? "static" : "dynamic")} quantization stores 8-bit weights");
        }
        throw new UsageException($"--bits {bits} is not a supported bit width; use --bits 8 (or 4 with --mode weight-only or qat)");
    }

    /// <summary>Throws when <paramref name="option"/> (an option of mode <paramref name="owner"/>) is given to another mode.</summary>
    private static void CheckApplies(Mode mode, Mode owner, string ownerName, string? option)
    {
        if (option is not null && mode != owner) throw new UsageException($"{option} applies to --mode {ownerName}");
    }

    private static void CheckDynamic(bool calibrationGiven, Settings s)
    {
        if (calibrationGiven) throw new UsageException("--calibration applies to --mode static: dynamic quantization measures activation ranges at run time");
        if (s.MaxLoss is not null) throw new UsageException("--max-loss applies to --mode static");
        if (s.FloatOutputs) throw new UsageException("--float-outputs applies to --mode static: dynamic quantization leaves every output float");
        if (s.Activations.Type != QuantizedType.UInt8 || s.Activations.Symmetric)
            throw new UsageException("dynamic quantization quantizes activations to uint8 asymmetric at run time (DynamicQuantizeLinear): leave out --activations and --symmetric");
    }

    private sealed record Settings
    {
        public required string Model { get; init; }
        public required string Output { get; init; }
        public Mode Mode { get; init; }
        public CalibrationMethod Calibration { get; init; }
        public double Percentile { get; init; }
        public WeightRangeMethod WeightRange { get; init; }
        public required QuantizationSpec Weights { get; init; }
        public required QuantizationSpec Activations { get; init; }
        public int CalibrationImages { get; init; }
        public double? MaxLoss { get; init; }
        public int Validation { get; init; }
        public bool BiasCorrection { get; init; }
        public bool FloatOutputs { get; init; }
        public string[] Exclude { get; init; } = [];
        public string? Data { get; init; }
        public ulong Seed { get; init; }
        public int Threads { get; init; }
        public int[] LatencyBatches { get; init; } = [];
        public int Bits { get; init; } = 8;
        public int GroupSize { get; init; }
        public bool Gptq { get; init; }
        public bool ActOrder { get; init; }
        public int Epochs { get; init; }
        public bool Lsq { get; init; }
        public double LearningRate { get; init; }
        public int BatchSize { get; init; }
        public bool Distill { get; init; }
        public bool DenseFile { get; init; }
    }

    private static int Run(Reporter r, Settings s)
    {
        var inputPath = Check.ExistingFile("model", s.Model);
        var files = FashionMnist.Locate(s.Data);
        OutputPaths.CheckFile("--out", s.Output, [(inputPath, "the input model"), (files.TrainImages, "a dataset file"),
            (files.TrainLabels, "a dataset file"), (files.TestImages, "a dataset file"), (files.TestLabels, "a dataset file")]);
        var graph = ModelFiles.Load(inputPath);
        var test = FashionMnist.LoadSet(files.TestImages, files.TestLabels);
        bool needsTraining = s.Mode is Mode.Static or Mode.Qat || s.Mode == Mode.WeightOnly && s.Gptq;
        var train = needsTraining ? FashionMnist.LoadSet(files.TrainImages, files.TrainLabels) : null;
        CheckInputShape(graph, train ?? test, inputPath);
        ModelFiles.Naming(inputPath, () => { StaticQuantizer.CheckQuantizable(graph); return 0; });
        using var pool = new WorkerPool(s.Threads);
        var wall = Stopwatch.StartNew();

        var before = ModelFiles.Naming(inputPath, () => r.WithProgress("measuring the input model", _ =>
            ModelFigures.Measure(graph, new FileInfo(inputPath).Length, test, pool)));
        r.Line($"{Path.GetFileName(inputPath)}: {Fmt.Count(before.Params)} parameters, accuracy {before.Accuracy:F4}");

        ModelGraph quantized;
        IReadOnlyList<LayerDecision> layers;
        StaticQuantizationResult? staticResult = null;
        QatRun? qatRun = null;
        string description;
        try
        {
            if (s.Mode == Mode.Static)
            {
                var (calibrationSet, validationSet) = Split(train!, s);
                var options = new StaticQuantizationOptions
                {
                    Activations = s.Activations,
                    Weights = s.Weights,
                    Calibration = s.Calibration,
                    Percentile = s.Percentile,
                    WeightRange = s.WeightRange,
                    Sampling = new CalibrationOptions { Images = s.CalibrationImages, Seed = s.Seed, Pool = pool },
                    BiasCorrection = s.BiasCorrection,
                    QuantizeOutputs = !s.FloatOutputs,
                    MaxLoss = s.MaxLoss,
                    Exclude = s.Exclude,
                };
                staticResult = r.WithProgress("quantizing", progress => ModelFiles.Naming(inputPath, () =>
                    StaticQuantizer.Quantize(graph, calibrationSet, options, validationSet, (f, what) => progress(f, what), r.Line)));
                quantized = staticResult.Graph;
                layers = staticResult.Layers;
                description = $"static: weights {s.Weights}, activations {s.Activations}, {s.Calibration.Name()} calibration on " +
                    $"{Math.Min(s.CalibrationImages, calibrationSet.Count)} images{(s.BiasCorrection ? ", bias correction" : "")}{(s.FloatOutputs ? ", float outputs" : "")}" +
                    (s.MaxLoss is { } ml ? $", max loss {ml} pt" : "");
            }
            else if (s.Mode == Mode.WeightOnly) (quantized, layers, description) = WeightOnly(r, graph, train, s, pool, inputPath);
            else if (s.Mode == Mode.Qat) (quantized, layers, description, qatRun) = Qat(r, graph, train!, test, s, pool, inputPath);
            else
            {
                var result = ModelFiles.Naming(inputPath, () => DynamicQuantizer.Quantize(graph, new DynamicQuantizationOptions { Weights = s.Weights, WeightRange = s.WeightRange, Exclude = s.Exclude }));
                quantized = result.Graph;
                layers = result.Layers;
                description = $"dynamic: weights {s.Weights}, activations uint8 at run time";
            }
        }
        catch (ArgumentException e) when (e.Message.Contains("ignored layer", StringComparison.Ordinal) || e.Message.Contains("not quantizable layers", StringComparison.Ordinal))
        {
            throw new UsageException($"--exclude: {e.Message}");
        }

        quantized.Metadata.Properties["prunus.quantization"] = description;
        ModelFiles.Save(quantized, s.Output, options: CliOptions.ModelWriteOptions(s.DenseFile));
        var after = r.WithProgress("measuring the quantized model", _ =>
            ModelFigures.Measure(quantized, new FileInfo(s.Output).Length, test, pool));
        // Both models timed together, alternating, so that the speed-up does not depend on what else ran meanwhile.
        var (latencyBefore, latencyAfter) = ModelFiles.Naming(inputPath, () => r.WithProgress("timing both models", progress =>
            LatencyMeter.MeasurePair(ModelFiles.Load(inputPath), quantized, s.LatencyBatches, 1.0, pool, progress)));
        before = before with { Latency = latencyBefore };
        after = after with { Latency = latencyAfter };

        if (qatRun is { } run)
            r.Table("quantization-aware training", ["epoch", "train loss", "train acc", "images/s", "seconds"], run.Training.Epochs.Select(e => (IReadOnlyList<string>)
                [(e.Epoch + 1).ToString(), e.Loss.ToString("F4"), e.Accuracy.ToString("F4"), e.ImagesPerSecond.ToString("N0"), e.Seconds.ToString("F1")]));
        r.Table("layers", ["layer", "op", "weights", s.Bits == 4 ? "int4" : "int8", "how", "alone (pt lost)"], layers.Select(l => (IReadOnlyList<string>)
            [l.Name, l.OpType, Fmt.Count(l.Weights), l.Quantized ? "yes" : "no", l.Reason, l.SoloLoss is { } v ? $"{v:F2}" : ""]));
        ModelFigures.Table(r, $"{Path.GetFileName(inputPath)} -> {Path.GetFileName(s.Output)}", before, after);
        if (qatRun is { } trained)
            r.Line($"test accuracy: float {before.Accuracy:F4}, fake-quantized before training (post-training) {trained.PostTrainingAccuracy:F4}, after {s.Epochs} epoch(s) of QAT {after.Accuracy:F4}");
        r.Line($"{layers.Count(l => l.Quantized)} of {layers.Count} layers quantized ({description}); written to {s.Output}");

        var json = after.ToJson();
        json["model"] = inputPath;
        json["out"] = s.Output;
        json["mode"] = Modes[(int)s.Mode];
        json["bits"] = s.Bits;
        json["weights"] = s.Mode == Mode.WeightOnly ? WeightOnlyOptionsOf(s, pool).Spec.Type.Name() + (s.GroupSize == 0 ? " per-channel" : $" groups of {s.GroupSize}")
            : s.Weights.ToString();
        if (s.Mode is Mode.Static or Mode.Dynamic) json["weight_range"] = s.WeightRange == WeightRangeMethod.Mse ? "mse" : "minmax";
        json["activations"] = s.Mode switch
        {
            Mode.Static or Mode.Qat => s.Activations.ToString(),
            Mode.Dynamic => "uint8 asymmetric per-tensor (run time)",
            _ => "float",
        };
        if (s.Mode == Mode.WeightOnly)
        {
            json["group_size"] = s.GroupSize;
            json["rounding"] = s.Gptq ? "gptq" : "rtn";
            if (s.Gptq) json["calibration_images"] = s.CalibrationImages;
        }
        if (qatRun is { } q)
        {
            json["epochs"] = s.Epochs;
            json["lsq"] = s.Lsq;
            json["lr"] = s.LearningRate;
            json["distill"] = s.Distill;
            json["calibration"] = s.Calibration.Name();
            json["calibration_images"] = s.CalibrationImages;
            json["post_training_accuracy"] = q.PostTrainingAccuracy;
            json["float_outputs"] = s.FloatOutputs;
            json["training"] = new JsonArray(q.Training.Epochs.Select(e => (JsonNode)new JsonObject
            {
                ["epoch"] = e.Epoch + 1,
                ["loss"] = e.Loss,
                ["accuracy"] = e.Accuracy,
                ["images_per_second"] = e.ImagesPerSecond,
                ["seconds"] = e.Seconds,
            }).ToArray());
        }
        if (s.Mode == Mode.Static)
        {
            json["calibration"] = s.Calibration.Name();
            json["calibration_images"] = s.CalibrationImages;
            json["bias_correction"] = s.BiasCorrection;
            json["float_outputs"] = s.FloatOutputs;
        }
        json["max_loss"] = s.MaxLoss;
        if (staticResult?.Fallback is { } f)
            json["validation"] = new JsonObject
            {
                ["images"] = s.Validation,
                ["float_accuracy"] = f.Baseline,
                ["fully_quantized_accuracy"] = f.FullAccuracy,
                ["accuracy"] = f.Accuracy,
                ["loss_points"] = f.Loss,
            };
        json["seconds"] = wall.Elapsed.TotalSeconds;
        json["before"] = before.ToJson();
        json["after"] = after.ToJson();
        json["layers"] = new JsonArray(layers.Select(l => (JsonNode)new JsonObject
        {
            ["name"] = l.Name,
            ["op"] = l.OpType,
            ["weights"] = l.Weights,
            ["quantized"] = l.Quantized,
            ["reason"] = l.Reason,
            ["solo_loss_points"] = l.SoloLoss,
        }).ToArray());
        r.Result(json);
        return 0;
    }

    /// <summary>The library options of --mode weight-only.</summary>
    private static WeightOnlyOptions WeightOnlyOptionsOf(Settings s, WorkerPool pool) => new()
    {
        Bits = s.Bits,
        GroupSize = s.GroupSize,
        Symmetric = s.Weights.Symmetric,
        Rounding = s.Gptq ? WeightRounding.Gptq : WeightRounding.Rtn,
        ActOrder = s.ActOrder,
        Calibration = new CalibrationOptions { Images = s.CalibrationImages, Seed = s.Seed, Pool = pool },
        Ignore = s.Exclude,
    };

    private static (ModelGraph, IReadOnlyList<LayerDecision>, string) WeightOnly(Reporter r, ModelGraph graph, ImageDataset? train, Settings s, WorkerPool pool, string inputPath)
    {
        var options = WeightOnlyOptionsOf(s, pool);
        var result = r.WithProgress("quantizing weights", progress => ModelFiles.Naming(inputPath, () =>
            WeightOnlyQuantizer.Quantize(graph, options, train, (layer, f) => progress(f, layer))));
        string how = $"{options.Type.Name()} {(s.GroupSize == 0 ? "per-channel" : $"groups of {s.GroupSize}")}, {(s.Gptq ? "GPTQ" + (s.ActOrder ? " act-order" : "") : "round to nearest")}";
        var layers = result.Layers.Select(l => new LayerDecision(l.Name, OpOf(result.Graph, l.Name), l.Rows * (long)l.Columns, true,
            $"{how}, weight RMS error {l.WeightRmse:G3}")).ToList();
        var description = $"weight-only: {how}" + (s.Gptq ? $", {Math.Min(s.CalibrationImages, train!.Count)} calibration images" : "") + ", activations float";
        return (result.Graph, layers, description);
    }

    private static string OpOf(ModelGraph graph, string layer) => graph.FindNode(layer)?.OpType ?? "";

    /// <summary>What --mode qat trained, besides the model.</summary>
    private sealed record QatRun(TrainingResult Training, double PostTrainingAccuracy);

    private static (ModelGraph, IReadOnlyList<LayerDecision>, string, QatRun) Qat(Reporter r, ModelGraph graph, ImageDataset train, ImageDataset test, Settings s,
        WorkerPool pool, string inputPath)
    {
        var options = new QatOptions
        {
            Weights = s.Weights,
            Activations = s.Activations,
            LearnedScales = s.Lsq,
            QuantizeOutputs = !s.FloatOutputs,
            Calibration = s.Calibration,
            CalibrationImages = new CalibrationOptions { Images = s.CalibrationImages, Seed = s.Seed, Pool = pool },
            Ignore = s.Exclude,
        };
        var qat = r.WithProgress("preparing", _ => ModelFiles.Naming(inputPath, () => QatPreparation.Prepare(graph, train, options)));
        double ptq = new Training.Evaluator(qat, 1000, pool).Evaluate(test).Accuracy;
        r.Line($"fake-quantized model before training (post-training quantization): test accuracy {ptq:F4}");
        var trainerOptions = new TrainerOptions
        {
            Epochs = s.Epochs,
            BatchSize = s.BatchSize,
            LearningRate = s.LearningRate,
            Seed = s.Seed,
            Pool = pool,
            Distillation = s.Distill ? new Distillation(graph) : null,
        };
        using var trainer = new Trainer(qat, train, trainerOptions);
        var training = r.WithProgress("quantization-aware training", progress =>
        {
            trainer.Progress = p =>
            {
                if (!p.EpochDone && p.Step != 1 && p.Step % 20 != 0) return;
                double done = (p.Epoch + (double)p.Step / p.StepsPerEpoch) / Math.Max(1, p.Epochs);
                progress(done, $"epoch {p.Epoch + 1}/{p.Epochs} loss {p.Loss:F4} acc {p.Accuracy:F4} {p.ImagesPerSecond:N0} img/s");
            };
            return trainer.Run();
        });
        var quantized = QatExport.ToQdq(qat);
        // A layer's weight is fake-quantized, or it was excluded and stays float.
        var layers = qat.Nodes.Where(n => n.OpType is "Conv" or "Gemm" or "MatMul" && n.Domain is "" or "ai.onnx" && n.Inputs.Count > 1)
            .Select(n => (Node: n, Weight: qat.Nodes.FirstOrDefault(f => f.OpType == "FakeQuantize" && f.Outputs[0] == n.Inputs[1])?.Inputs[0]))
            .Where(x => x.Weight is not null || qat.Initializers.ContainsKey(x.Node.Inputs[1]))
            .Select(x => x.Weight is { } w
                ? new LayerDecision(x.Node.Name, x.Node.OpType, qat.Initializers[w].Length, true, $"{s.Weights.Type.Name()} weights{(s.Lsq ? ", learned steps" : "")}, trained {s.Epochs} epoch(s)")
                : new LayerDecision(x.Node.Name, x.Node.OpType, qat.Initializers[x.Node.Inputs[1]].Length, false, "excluded"))
            .ToList();
        var description = $"quantization-aware training: weights {s.Weights}, activations {s.Activations}, {s.Epochs} epoch(s) at lr {s.LearningRate}" +
            (s.Lsq ? ", learned step sizes" : "") + (s.Distill ? ", distilled from the float model" : "") + (s.FloatOutputs ? ", float outputs" : "");
        return (quantized, layers, description, new QatRun(training, ptq));
    }

    /// <summary>Calibration images and, with --max-loss, the validation images held out at the end of the training set.</summary>
    private static (ImageDataset Calibration, ImageDataset? Validation) Split(ImageDataset train, Settings s)
    {
        if (s.MaxLoss is null) return (train, null);
        if (s.Validation >= train.Count)
            throw new UsageException($"--validation {s.Validation}: the training set has only {train.Count} images, and calibration needs some of them; give fewer");
        return (train.Slice(0, train.Count - s.Validation), train.Slice(train.Count - s.Validation, s.Validation));
    }

    /// <summary>The model's first input must take the data's images: [N,C,H,W] or [N,C*H*W].</summary>
    private static void CheckInputShape(ModelGraph graph, ImageDataset data, string path)
    {
        var input = graph.DataInputs.FirstOrDefault() ?? throw new ModelException($"{Path.GetFileName(path)}: the model has no data input");
        if (input.Dims is not { } dims) return;
        var fixedDims = dims.Skip(1).Select(d => d.Value).ToArray();
        bool image = fixedDims.Length == 3 && fixedDims.Zip(data.SampleShape).All(p => p.First is null || p.First == p.Second);
        bool flat = fixedDims.Length == 1 && (fixedDims[0] is null || fixedDims[0] == data.ImageSize);
        if (!image && !flat)
            throw new DataException($"{Path.GetFileName(path)}: its input '{input.Name}' takes [{string.Join(",", dims)}], but the calibration and test images are " +
                $"{data.Channels}x{data.Height}x{data.Width}: give a model for {data.Channels}x{data.Height}x{data.Width} images or data of the model's input shape (--data)");
    }
}
