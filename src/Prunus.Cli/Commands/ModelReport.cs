using System.Text.Json.Nodes;
using Prunus.Cli.Console;
using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Analysis;
using Prunus.Pruning;
using Prunus.Tensors;
using Prunus.Threading;
using Prunus.Training;

namespace Prunus.Cli.Commands;

/// <summary>What a compression command reports of a model before and after.</summary>
/// <param name="Accuracy">Test accuracy (null when not measured).</param>
/// <param name="Params">Weights: float, and the integer weights of quantized models (not their scales).</param>
/// <param name="NonZeros">Float weights that are not zero.</param>
/// <param name="Sparsity">Fraction of zero weights in the prunable layers (Conv, Gemm, MatMul; quantized weights count where they equal their zero point).</param>
/// <param name="Flops">FLOPs per image run densely.</param>
/// <param name="NonZeroFlops">FLOPs per image counting only the nonzero weights of the prunable layers.</param>
/// <param name="FileBytes">Size of the ONNX file.</param>
/// <param name="Latency">Prunus engine latency per batch size (optimized graph), timed beside the model it is compared with.</param>
public sealed record ModelFigures(double? Accuracy, long Params, long NonZeros, double Sparsity, long Flops, long NonZeroFlops,
    long FileBytes, IReadOnlyList<LatencyResult> Latency)
{
    /// <summary>
    /// Conv, Gemm and MatMul nodes whose weight (input 1) is a DequantizeLinear of an 8-bit initializer, with the
    /// weight's size and how many of its values equal their zero point (per tensor or along the DequantizeLinear's axis).
    /// </summary>
    private static IEnumerable<(Node Node, long Size, long Zeros)> QuantizedWeights(ModelGraph graph)
    {
        var producers = graph.Nodes.SelectMany(n => n.Outputs.Select(o => (o, n))).ToDictionary(p => p.o, p => p.n, StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            if (node.Domain is not ("" or "ai.onnx") || node.OpType is not ("Conv" or "Gemm" or "MatMul") || node.Inputs.Count < 2) continue;
            if (!producers.TryGetValue(node.Inputs[1], out var dq) || dq.OpType != "DequantizeLinear") continue;
            if (!graph.Initializers.TryGetValue(dq.Inputs[0], out var q) || q.Type is not (DataType.Int8 or DataType.UInt8) || q.Length == 0) continue;
            var values = q.ToInt64Array();
            long[] zero = dq.Inputs.Count > 2 && graph.Initializers.TryGetValue(dq.Inputs[2], out var zt) ? zt.ToInt64Array() : [0];
            int axis = dq.Attributes.TryGetValue("axis", out var a) ? (int)a.Int : 1;
            if (axis < 0) axis += q.Rank;
            long inner = 1;
            for (int d = axis + 1; d < q.Rank; d++) inner *= q.Shape[d];
            long count = 0;
            for (long i = 0; i < values.Length; i++)
            {
                long z = zero.Length == 1 ? zero[0] : zero[i / inner % zero.Length];
                if (values[i] == z) count++;
            }
            yield return (node, values.Length, count);
        }
    }

    /// <summary>
    /// Measures <paramref name="graph"/> (its file being <paramref name="fileBytes"/> long), all but latency: the commands
    /// time the model before and after together (<see cref="LatencyMeter.MeasurePair"/>) and attach the results.
    /// </summary>
    public static ModelFigures Measure(ModelGraph graph, long fileBytes, ImageDataset? test, WorkerPool pool)
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
        // Quantized layers read their integer weight through a DequantizeLinear: a weight is zero where it equals its zero point.
        foreach (var (node, size, zeroCount) in QuantizedWeights(graph))
        {
            zeros += zeroCount;
            weights += size;
            density[node.Name] = 1 - (double)zeroCount / size;
        }
        long nonZeroFlops = summary.Layers.Sum(l => density.TryGetValue(l.Name, out var d) ? (long)Math.Round(l.Flops * d) : l.Flops);
        double? accuracy = test is null ? null : new Evaluator(graph, 1000, pool).Evaluate(test).Accuracy;
        return new ModelFigures(accuracy, summary.Parameters, summary.NonZeros, weights == 0 ? 0 : (double)zeros / weights,
            summary.Flops, nonZeroFlops, fileBytes, []);
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
