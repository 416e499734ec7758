using System.CommandLine;
using System.Globalization;
using Prunus.Cli.Console;
using Prunus.Data;
using Prunus.Pruning;
using Prunus.Pruning.Sensitivity;
using Prunus.Pruning.Structured;
using Prunus.Threading;

namespace Prunus.Cli.Commands;

/// <summary>
/// prunus sensitivity MODEL.onnx --out sens.json: accuracy against sparsity for each layer on a validation split of the
/// training set (the test set stays unseen), plus, with --target-sparsity, an allocation of per-layer sparsities.
/// </summary>
public sealed class SensitivityCommand : ICliCommand
{
    public Command Build(Func<Reporter> reporter)
    {
        var model = new Argument<string>("model") { Description = "ONNX classifier" };
        var output = new Option<string>("--out") { Description = "Where to write the report (JSON)", DefaultValueFactory = _ => "sensitivity.json", HelpName = "file" };
        var sparsities = new Option<string>("--sparsities") { Description = "Sparsities analysed per layer (comma-separated)", DefaultValueFactory = _ => string.Join(",", SensitivityAnalysis.DefaultSparsities.Select(x => x.ToString(CultureInfo.InvariantCulture))), HelpName = "s,s,..." };
        var method = new Option<string>("--method") { Description = "Importance criterion (fpgm: channel granularity only)", DefaultValueFactory = _ => "magnitude" }.OneOf("magnitude", "random", "taylor", "wanda", "fpgm");
        var granularity = new Option<string>("--granularity") { Description = "unstructured, N:M, block:RxC, or channel (each dependency group loses a fraction of its channels)", DefaultValueFactory = _ => "unstructured", HelpName = "g" };
        var validation = new Option<int>("--validation") { Description = "Images at the end of the training set used for validation", DefaultValueFactory = _ => 5000, HelpName = "n" };
        var targetSparsity = new Option<double>("--target-sparsity") { Description = "Also allocate per-layer sparsities that remove this fraction (0: no allocation)", DefaultValueFactory = _ => 0, HelpName = "s" };
        var target = new Option<string>("--target") { Description = "What the allocation's target counts", DefaultValueFactory = _ => "params" }.OneOf("params", "flops");
        var ignore = new Option<string?>("--ignore") { Description = "Layers (node or weight names, comma-separated) left out", HelpName = "names" };
        var data = CliOptions.Data();
        var seed = new Option<ulong>("--seed") { Description = "Seed of the random criterion", DefaultValueFactory = _ => 0, HelpName = "n" };
        var threads = CliOptions.Threads();
        var cmd = new Command("sensitivity", "Measure each layer's accuracy against sparsity and allocate per-layer sparsities for a global target")
        {
            model, output, sparsities, method, granularity, validation, targetSparsity, target, ignore, data, seed, threads,
        };
        cmd.SetAction(p =>
        {
            Granularity g;
            try { g = Granularity.Parse(p.GetValue(granularity)!); }
            catch (ArgumentException e) { throw new UsageException($"--granularity: {e.Message}"); }
            if (p.GetValue(method) == "fpgm" && !g.IsStructured) throw new UsageException("--method fpgm scores whole filters: use it with --granularity channel");
            if (g.IsStructured && p.GetValue(method) is "taylor" or "wanda")
                throw new UsageException($"--method {p.GetValue(method)}: channel sensitivity supports magnitude, fpgm and random");
            var list = p.GetValue(sparsities)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(x => double.TryParse(x, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v < 1 ? v
                    : throw new UsageException($"--sparsities: '{x}' is not a number in (0, 1)")).ToArray();
            if (list.Length == 0) throw new UsageException("--sparsities needs at least one value, e.g. 0.5,0.9");
            return Run(reporter(), p.GetValue(model)!, p.GetValue(output)!, list, p.GetValue(method)!, g,
                Check.AtLeast("--validation", p.GetValue(validation), 1), Check.InRange("--target-sparsity", p.GetValue(targetSparsity), 0, 0.9999),
                p.GetValue(target) == "flops" ? TargetMeasure.Flops : TargetMeasure.Params,
                (p.GetValue(ignore) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
                p.GetValue(data), p.GetValue(seed), Check.AtLeast("--threads", p.GetValue(threads), 1));
        });
        return cmd;
    }

    private static int Run(Reporter r, string path, string output, double[] sparsities, string method, Granularity granularity,
        int validationCount, double targetSparsity, TargetMeasure measure, string[] ignore, string? dataDir, ulong seed, int threads)
    {
        Check.ExistingFile("model", path);
        var files = FashionMnist.Locate(dataDir);
        OutputPaths.CheckFile("--out", output, [(path, "the input model"), (files.TrainImages, "a dataset file"), (files.TrainLabels, "a dataset file")]);
        var graph = ModelFiles.Load(path);
        var train = FashionMnist.LoadSet(files.TrainImages, files.TrainLabels);
        if (validationCount > train.Count) throw new UsageException($"--validation {validationCount}: the training set has only {train.Count} images");
        var validation = train.Slice(train.Count - validationCount, validationCount);
        using var pool = new WorkerPool(threads);
        SensitivityReport report;
        if (granularity.IsStructured)
        {
            IChannelImportance importance = method switch { "fpgm" => new Fpgm(), "random" => new RandomChannelImportance(seed), _ => GroupImportance.L1 };
            report = r.WithProgress("sensitivity", progress => ModelFiles.Naming(path, () =>
                ChannelSensitivity.Run(graph, validation, importance, sparsities, ignore, pool, progress)));
        }
        else
        {
            var layers = ModelFiles.Naming(path, () => PrunableLayers.Find(graph, ignore));
            var criterion = PruneCommand.Criterion(method, seed);
            // Data-driven criteria are calibrated on training images before the validation split.
            var statistics = criterion.Needs == Prunus.Pruning.Criteria.CalibrationNeeds.None ? null
                : Calibration.Collect(graph, layers, train.Slice(0, train.Count - validationCount), criterion.Needs, new CalibrationOptions { Pool = pool, Seed = seed });
            report = r.WithProgress("sensitivity", progress => ModelFiles.Naming(path, () =>
                SensitivityAnalysis.Run(graph, layers, validation, criterion, granularity, sparsities, statistics, pool, progress)));
        }
        Allocation? allocation = targetSparsity > 0 ? SensitivityAllocation.Allocate(report, targetSparsity, measure) : null;
        report.Save(output, allocation);

        var columns = new List<string> { "layer", "weights" };
        columns.AddRange(sparsities.Order().Select(s => s.ToString("P0", CultureInfo.InvariantCulture)));
        // Channel groups round fractions to whole channels: a row may have fewer points than columns (shown as "-").
        if (allocation is not null) columns.Add("allocated");
        r.Table($"validation accuracy with one {(granularity.IsStructured ? "channel group" : "layer")} pruned (baseline {report.BaselineAccuracy:F4}, {validation.Count:N0} images)", columns,
            report.Layers.Select(l =>
            {
                var row = new List<string> { l.Layer, Fmt.Count(l.Params) };
                row.AddRange(l.Points.Select(pt => pt.Accuracy.ToString("F4", CultureInfo.InvariantCulture)));
                while (row.Count < columns.Count - (allocation is null ? 0 : 1)) row.Add("-");
                if (allocation is not null) row.Add(Fmt.Pct(allocation.Sparsity[l.Layer]));
                return (IReadOnlyList<string>)row;
            }));
        if (allocation is not null)
            r.Line($"allocation for {targetSparsity:P0} of the {(measure == TargetMeasure.Flops ? "FLOPs" : "parameters")}: predicted loss {allocation.PredictedLoss * 100:F2} pt; " +
                $"use it with `prunus prune {Path.GetFileName(path)} --sensitivity {output} --sparsity {targetSparsity.ToString(CultureInfo.InvariantCulture)}`");
        r.Line($"report written to {output}");
        var json = report.ToJson(allocation);
        json["out"] = output;
        r.Result(json);
        return 0;
    }
}
