namespace Prunus.Pruning.Structured;

/// <summary>
/// Filter pruning via geometric median (He et al., 2019): a filter's importance is the sum of its distances to the
/// other filters of the same layer, so the filters nearest the layer's geometric median, which the others can best
/// stand in for, score lowest and go first. A structured criterion: it scores the producers' filters (and depthwise
/// filters) of a group, then normalizes and combines them across those layers.
/// </summary>
public sealed class Fpgm : IChannelImportance
{
    /// <summary>Distances as sums of absolute differences instead of Euclidean.</summary>
    public bool L1Distance { get; init; }
    /// <summary>How each layer's scores are scaled before they combine.</summary>
    public MemberNormalization Normalization { get; init; } = MemberNormalization.Mean;
    /// <summary>How layers combine.</summary>
    public ChannelAggregation Aggregation { get; init; } = ChannelAggregation.Sum;

    /// <inheritdoc/>
    public string Name => "fpgm";

    /// <inheritdoc/>
    public float[] Score(ChannelAnalysis analysis, ChannelGroup group)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(group);
        var combined = new MemberCombiner(group.Channels, Normalization, Aggregation);
        foreach (var slice in analysis.Slices)
        {
            if (slice.Role is not (MemberRole.ProducerWeight or MemberRole.DepthwiseWeight) || slice.Tensor is null
                || !MemberScores.Touches(analysis, slice, group)) continue;
            var w = analysis.Constants.Get(slice.Tensor)!;
            var filters = MemberScores.AxisVectors(w.Floats, w.Shape, slice.Axis);
            combined.Add(MemberScores.PerChannel(analysis, slice, group, FilterDistances(filters, L1Distance)));
        }
        return combined.Result();
    }

    /// <summary>For each filter, the sum of its distances (Euclidean, or L1) to all the others.</summary>
    public static double[] FilterDistances(IReadOnlyList<float[]> filters, bool l1 = false)
    {
        ArgumentNullException.ThrowIfNull(filters);
        int n = filters.Count;
        var sums = new double[n];
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
            {
                var a = filters[i];
                var b = filters[j];
                if (a.Length != b.Length) throw new ArgumentException($"filters {i} and {j} differ in length ({a.Length} vs {b.Length})");
                double d = 0;
                for (int k = 0; k < a.Length; k++)
                {
                    double diff = a[k] - b[k];
                    d += l1 ? Math.Abs(diff) : diff * diff;
                }
                if (!l1) d = Math.Sqrt(d);
                sums[i] += d;
                sums[j] += d;
            }
        return sums;
    }
}
