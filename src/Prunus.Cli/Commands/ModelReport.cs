using System.Text.Json.Nodes;
using Prunus.Cli.Console;
using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Analysis;
using Prunus.Pruning;
using Prunus.Threading;
using Prunus.Training;

namespace Prunus.Cli.Commands;

/// <summary>What a compression command reports of a model before and after.</summary>
/// <param name="Accuracy">Test accuracy (null when not measured).</param>
/// <param name="Params">Weights: float, and the integer weights of quantized models (not their scales).</param>
/// <param name="NonZeros">Float weights that are not zero.</param>
/// <param name="Sparsity">Fraction of zero weights in the prunable layers (Conv, Gemm, MatMul).</param>
/// <param name="Flops">FLOPs per image run densely.</param>
/// <param name="NonZeroFlops">FLOPs per image counting only the nonzero weights of the prunable layers.</param>
/// <param name="FileBytes">Size of the ONNX file.</param>
/// <param name="Latency">Prunus engine latency per batch size (optimized graph).</param>
public sealed record ModelFigures(double? Accuracy, long Params, long NonZeros, double Sparsity, long Flops, long NonZeroFlops,
    long FileBytes, IReadOnlyList<LatencyResult> Latency)
{
    /// <summary>Measures <paramref name="graph"/> (its file being <paramref name="fileBytes"/> long).</summary>
    public static ModelFigures Measure(ModelGraph graph, long fileBytes, ImageDataset? test, IReadOnlyList<int> latencyBatches,
        double latencySeconds, WorkerPool pool)
    {
        var summary = ModelSummary.Of(graph);
        var layers = PrunableLayers.Find(graph);
        long zeros = 0, weights = 0;
        var density = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var l in layers)
        {
            double s = l.Sparsity();
            zeros += (long)Math.Round(s * l.Size);
            weights += l.Size;
            density[l.Node.Name] = 1 - s;
        }
        long nonZeroFlops = summary.Layers.Sum(l => density.TryGetValue(l.Name, out var d) ? (long)Math.Round(l.Flops * d) : l.Flops);
        double? accuracy = test is null ? null : new Evaluator(graph, 1000, pool).Evaluate(test).Accuracy;
        var latency = latencyBatches.Select(b => LatencyMeter.MeasureOptimized(graph, b, latencySeconds, pool)).ToList();
        return new ModelFigures(accuracy, summary.Parameters, summary.NonZeros, weights == 0 ? 0 : (double)zeros / weights,
            summary.Flops, nonZeroFlops, fileBytes, latency);
    }

    /// <summary>The figures as JSON.</summary>
    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["accuracy"] = Accuracy,
            ["sparsity"] = Sparsity,
            ["params"] = Params,
            ["nonzeros"] = NonZeros,
            ["flops"] = Flops,
            ["nonzero_flops"] = NonZeroFlops,
            ["file_bytes"] = FileBytes,
        };
        foreach (var l in Latency) o[$"latency_b{l.Batch}_ms"] = l.MedianMs;
        return o;
    }

    /// <summary>Prints the before/after table.</summary>
    public static void Table(Reporter r, string title, ModelFigures before, ModelFigures after)
    {
        static string Ratio(double a, double b) => a == 0 || b == 0 ? "" : $"{b / a:F2}x";
        var rows = new List<IReadOnlyList<string>>
        {
            new[] { "accuracy", before.Accuracy?.ToString("F4") ?? "-", after.Accuracy?.ToString("F4") ?? "-",
                before.Accuracy is { } a && after.Accuracy is { } b ? $"{(b - a) * 100:+0.00;-0.00} pt" : "" },
            new[] { "sparsity (prunable layers)", Fmt.Pct(before.Sparsity), Fmt.Pct(after.Sparsity), "" },
            new[] { "parameters", Fmt.Count(before.Params), Fmt.Count(after.Params), Ratio(before.Params, after.Params) },
            new[] { "nonzero parameters", Fmt.Count(before.NonZeros), Fmt.Count(after.NonZeros), Ratio(before.NonZeros, after.NonZeros) },
            new[] { "MFLOPs per image (dense)", Fmt.Mega(before.Flops), Fmt.Mega(after.Flops), Ratio(before.Flops, after.Flops) },
            new[] { "MFLOPs on nonzeros", Fmt.Mega(before.NonZeroFlops), Fmt.Mega(after.NonZeroFlops), Ratio(before.NonZeroFlops, after.NonZeroFlops) },
            new[] { "file size", Fmt.Bytes(before.FileBytes), Fmt.Bytes(after.FileBytes), Ratio(before.FileBytes, after.FileBytes) },
        };
        foreach (var lb in before.Latency)
            if (after.Latency.FirstOrDefault(x => x.Batch == lb.Batch) is { } la)
                rows.Add([$"latency batch {lb.Batch} (ms)", Fmt.Ms(lb.MedianMs), Fmt.Ms(la.MedianMs), $"{lb.MedianMs / la.MedianMs:F2}x speed"]);
        r.Table(title, ["", "before", "after", "change"], rows);
    }
}
