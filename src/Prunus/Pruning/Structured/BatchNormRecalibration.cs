using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Pruning.Structured;

/// <summary>
/// Recomputes BatchNormalization running statistics from data, as is worth doing after structured pruning (removed
/// channels shift what later layers see). Layers are recalibrated in dependency order: a BatchNorm is measured only
/// once every BatchNorm upstream of it has its new statistics, so each sees the network as it will run.
/// </summary>
public static class BatchNormRecalibration
{
    /// <summary>
    /// Sets each BatchNormalization's running mean and variance of <paramref name="graph"/> (in place) to the average,
    /// over <paramref name="batches"/> batches of <paramref name="batchSize"/> images taken in order from
    /// <paramref name="data"/>, of its input's per-channel batch mean and unbiased batch variance (PyTorch's cumulative
    /// average, momentum None). Fewer batches are used when the data holds fewer. Returns the number of layers updated.
    /// </summary>
    public static int Run(ModelGraph graph, ImageDataset data, int batches, int batchSize, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(data);
        if (batches < 1) throw new ArgumentOutOfRangeException(nameof(batches), batches, "at least one batch is needed");
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be at least 1");
        if (data.Count == 0) throw new ArgumentException("the dataset is empty");
        var order = GraphValidation.TopologicalOrder(graph);
        var layers = order.Where(IsRecalibratable(graph)).ToList();
        if (layers.Count == 0) return 0;

        int b = Math.Min(batchSize, data.Count);
        int count = Math.Min(batches, data.Count / b);
        var input = graph.DataInputs.FirstOrDefault() ?? throw new ArgumentException("the model has no data input");
        var plan = Planner.Compile(graph, new Dictionary<string, int[]> { [input.Name] = InputShape(input, data, b) },
            new PlanOptions { ConstantWeights = false, KeepValues = layers.Select(l => l.Inputs[0]).ToHashSet(StringComparer.Ordinal), Pool = pool });
        var identity = Enumerable.Range(0, data.Count).ToArray();
        var labels = new int[b];

        foreach (var level in Levels(order, layers))
        {
            var meanSums = level.Select(l => new double[graph.Initializers[l.Inputs[3]].Length]).ToArray();
            var varSums = level.Select(l => new double[graph.Initializers[l.Inputs[3]].Length]).ToArray();
            for (int k = 0; k < count; k++)
            {
                data.FillBatch(identity, k * b, b, plan.Input(0), labels);
                plan.Run();
                for (int i = 0; i < level.Count; i++)
                    Accumulate(plan.Value(level[i].Inputs[0])!, meanSums[i], varSums[i]);
            }
            for (int i = 0; i < level.Count; i++)
            {
                var mean = graph.Initializers[level[i].Inputs[3]].Floats;
                var variance = graph.Initializers[level[i].Inputs[4]].Floats;
                for (int c = 0; c < mean.Length; c++)
                {
                    mean[c] = (float)(meanSums[i][c] / count);
                    variance[c] = (float)(varSums[i][c] / count);
                }
            }
        }
        return layers.Count;
    }

    private static Func<Node, bool> IsRecalibratable(ModelGraph graph) => n =>
        n.OpType == "BatchNormalization" && n.Domain is "" or "ai.onnx" && n.Inputs.Count >= 5
        && graph.Initializers.TryGetValue(n.Inputs[3], out var m) && m.Type == DataType.Float32
        && graph.Initializers.TryGetValue(n.Inputs[4], out var v) && v.Type == DataType.Float32 && m.Length == v.Length;

    private static int[] InputShape(ValueInfo input, ImageDataset data, int batch)
    {
        int rank = input.Dims?.Length ?? 4;
        return rank switch
        {
            4 => [batch, data.Channels, data.Height, data.Width],
            2 => [batch, data.ImageSize],
            _ => throw new ArgumentException($"input '{input.Name}' has rank {rank}; images feed inputs of rank 4 [N,C,H,W] or 2 [N,C*H*W]"),
        };
    }

    /// <summary>The layers grouped by how many of them lie upstream (0 first): one level needs only earlier levels' statistics.</summary>
    private static List<List<Node>> Levels(List<Node> order, List<Node> layers)
    {
        var set = layers.ToHashSet();
        var depth = new Dictionary<string, int>(StringComparer.Ordinal);
        var level = new Dictionary<Node, int>();
        foreach (var n in order)
        {
            int d = n.Inputs.Where(i => i.Length > 0).Select(i => depth.GetValueOrDefault(i)).DefaultIfEmpty(0).Max();
            if (set.Contains(n))
            {
                level[n] = d;
                d++;
            }
            foreach (var o in n.Outputs) if (o.Length > 0) depth[o] = d;
        }
        return layers.GroupBy(l => level[l]).OrderBy(g => g.Key).Select(g => g.ToList()).ToList();
    }

    /// <summary>Adds the per-channel batch mean and unbiased variance of <paramref name="x"/> [N,C,...] to the sums.</summary>
    private static void Accumulate(Tensor x, double[] meanSum, double[] varSum)
    {
        int n = x.Shape[0], c = x.Shape[1];
        int plane = x.Length / Math.Max(1, n * c);
        var v = x.Floats;
        long total = (long)n * plane;
        for (int ch = 0; ch < c; ch++)
        {
            double sum = 0;
            for (int i = 0; i < n; i++)
                foreach (var e in v.Slice((i * c + ch) * plane, plane)) sum += e;
            double mean = sum / total, squares = 0;
            for (int i = 0; i < n; i++)
                foreach (var e in v.Slice((i * c + ch) * plane, plane)) squares += (e - mean) * (e - mean);
            meanSum[ch] += mean;
            varSum[ch] += total > 1 ? squares / (total - 1) : 0;
        }
    }
}
