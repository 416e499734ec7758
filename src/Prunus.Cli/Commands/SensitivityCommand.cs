using System.CommandLine;
using System.Globalization;
using Prunus.Cli.Console;
using Prunus.Data;
using Prunus.Pruning;
using Prunus.Pruning.Sensitivity;
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
        var method = new Option<string>("--method") { Description = "Importance criterion", DefaultValueFactory = _ => "magnitude" }.OneOf(PruneCommand.Methods);
        var granularity = new Option<string>("--granularity") { Description = "unstructured, N:M or block:RxC", DefaultValueFactory = _ => "unstructured", HelpName = "g" };
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
            if (g.IsStructured) throw new UsageException("--granularity channel: sensitivity is analysed per layer for unstructured, N:M and block pruning");
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
        var layers = ModelFiles.Naming(path, () => PrunableLayers.Find(graph, ignore));
        var report = r.WithProgress("sensitivity", progress => ModelFiles.Naming(path, () =>
            SensitivityAnalysis.Run(graph, layers, validation, PruneCommand.Criterion(method, seed), granularity, sparsities, null, pool, progress)));
        Allocation? allocation = targetSparsity > 0 ? SensitivityAllocation.Allocate(report, targetSparsity, measure) : null;
        report.Save(output, allocation);

        var columns = new List<string> { "layer", "weights" };
        columns.AddRange(sparsities.Order().Select(s => s.ToString("P0", CultureInfo.InvariantCulture)));
        if (allocation is not null) columns.Add("allocated");
        r.Table($"validation accuracy with one layer pruned (baseline {report.BaselineAccuracy:F4}, {validation.Count:N0} images)", columns,
            report.Layers.Select(l =>
            {
                var row = new List<string> { l.Layer, Fmt.Count(l.Params) };
                row.AddRange(l.Points.Select(pt => pt.Accuracy.ToString("F4", CultureInfo.InvariantCulture)));
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
