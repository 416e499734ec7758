using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Pruning.Structured;

/// <summary>Helpers that turn a member's element scores into per-channel scores.</summary>
internal static class MemberScores
{
    /// <summary>Whether <paramref name="slice"/> carries any channel of <paramref name="group"/>.</summary>
    public static bool Touches(ChannelAnalysis analysis, MemberSlice slice, ChannelGroup group)
    {
        foreach (var c in slice.Classes)
            if (c >= 0 && analysis.ClassGroup[c] == group.Id) return true;
        return false;
    }

    /// <summary>For a tensor of <paramref name="shape"/> in memory order, the sum over all elements at each position of <paramref name="axis"/>.</summary>
    public static double[] AxisSums(ReadOnlySpan<float> values, int[] shape, int axis)
    {
        int outer = 1, inner = 1, dim = shape[axis];
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        var sums = new double[dim];
        for (int o = 0; o < outer; o++)
            for (int p = 0; p < dim; p++)
            {
                double s = 0;
                var row = values.Slice((o * dim + p) * inner, inner);
                foreach (var v in row) s += v;
                sums[p] += s;
            }
        return sums;
    }

    /// <summary>The slice of every position of <paramref name="axis"/> as a vector (the filters of a weight).</summary>
    public static float[][] AxisVectors(ReadOnlySpan<float> values, int[] shape, int axis)
    {
        int outer = 1, inner = 1, dim = shape[axis];
        for (int i = 0; i < axis; i++) outer *= shape[i];
        for (int i = axis + 1; i < shape.Length; i++) inner *= shape[i];
        var vectors = new float[dim][];
        for (int p = 0; p < dim; p++)
        {
            vectors[p] = new float[outer * inner];
            for (int o = 0; o < outer; o++) values.Slice((o * dim + p) * inner, inner).CopyTo(vectors[p].AsSpan(o * inner, inner));
        }
        return vectors;
    }

    /// <summary>Per channel of <paramref name="group"/>: the sum of the positions it holds in the slice; NaN where it holds none.</summary>
    public static double[] PerChannel(ChannelAnalysis analysis, MemberSlice slice, ChannelGroup group, double[] perPosition)
    {
        var scores = new double[group.Channels];
        Array.Fill(scores, double.NaN);
        for (int p = 0; p < slice.Classes.Length; p++)
        {
            int c = slice.Classes[p];
            if (c < 0 || analysis.ClassGroup[c] != group.Id) continue;
            int ch = analysis.ClassChannel[c];
            scores[ch] = (double.IsNaN(scores[ch]) ? 0 : scores[ch]) + perPosition[p];
        }
        return scores;
    }

    /// <summary>The prunable layer view of a Conv, Gemm or MatMul weight, or null for anything else.</summary>
    public static PrunableLayer? Layer(ModelGraph graph, Node node, string weight, Tensor w)
    {
        if (node.InputOrNull(1) != weight || w.Type != DataType.Float32) return null;
        return node.OpType switch
        {
            "Conv" when w.Rank >= 3 => new PrunableLayer(node, weight, w, LayerKind.Conv, w.Shape[0], w.Length / Math.Max(1, w.Shape[0]),
                (int)(node.Attributes.TryGetValue("group", out var g) ? g.Int : 1), transposed: false),
            "Gemm" when w.Rank == 2 => node.Attributes.TryGetValue("transB", out var t) && t.Int != 0
                ? new PrunableLayer(node, weight, w, LayerKind.Gemm, w.Shape[0], w.Shape[1], 1, transposed: false)
                : new PrunableLayer(node, weight, w, LayerKind.Gemm, w.Shape[1], w.Shape[0], 1, transposed: true),
            "MatMul" when w.Rank == 2 => new PrunableLayer(node, weight, w, LayerKind.MatMul, w.Shape[1], w.Shape[0], 1, transposed: true),
            _ => null,
        };
    }

    /// <summary>Any tensor as a one-row layer, for element criteria that only look at values (magnitude, random).</summary>
    public static PrunableLayer Vector(Node node, string name, Tensor w) =>
        new(node, name, w, LayerKind.Conv, 1, w.Length, 1, transposed: false);

    /// <summary>A string hash that is the same in every process.</summary>
    public static ulong StableHash(string text)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in text) h = (h ^ c) * 1099511628211UL;
        return h;
    }
}

/// <summary>Normalizes each member's per-channel scores and combines them across members.</summary>
internal sealed class MemberCombiner(int channels, MemberNormalization normalization, ChannelAggregation aggregation)
{
    private readonly double[] _sum = new double[channels];
    private readonly int[] _count = new int[channels];

    /// <summary>Adds one member's scores (NaN for channels it does not hold).</summary>
    public void Add(double[] scores)
    {
        double total = 0, max = 0;
        int n = 0;
        foreach (var s in scores)
        {
            if (double.IsNaN(s)) continue;
            total += s;
            max = Math.Max(max, s);
            n++;
        }
        if (n == 0) return;
        double scale = normalization switch
        {
            MemberNormalization.Mean => total / n,
            MemberNormalization.Max => max,
            MemberNormalization.Sum => total,
            _ => 1,
        };
        // A member whose scores are all zero says nothing about which channel matters.
        if (scale == 0) scale = 1;
        for (int i = 0; i < scores.Length; i++)
        {
            if (double.IsNaN(scores[i])) continue;
            _sum[i] += scores[i] / scale;
            _count[i]++;
        }
    }

    /// <summary>The combined score per channel (0 for a channel no member holds).</summary>
    public float[] Result()
    {
        var r = new float[_sum.Length];
        for (int i = 0; i < r.Length; i++)
            r[i] = (float)(aggregation == ChannelAggregation.Mean && _count[i] > 0 ? _sum[i] / _count[i] : _sum[i]);
        return r;
    }
}
