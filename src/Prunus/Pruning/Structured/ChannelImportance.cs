using Prunus.Graph;
using Prunus.Pruning.Criteria;
using Prunus.Tensors;

namespace Prunus.Pruning.Structured;

/// <summary>How the scores of a group's members combine into one score per channel.</summary>
public enum ChannelAggregation
{
    /// <summary>The sum over members.</summary>
    Sum,
    /// <summary>The mean over the members that cover the channel.</summary>
    Mean,
}

/// <summary>How each member's per-channel scores are scaled before they combine, so that members are comparable.</summary>
public enum MemberNormalization
{
    /// <summary>Raw scores (large layers dominate).</summary>
    None,
    /// <summary>Divided by the member's mean over the group's channels.</summary>
    Mean,
    /// <summary>Divided by the member's maximum.</summary>
    Max,
    /// <summary>Divided by the member's sum.</summary>
    Sum,
}

/// <summary>A score per channel of a group, higher meaning more important; structured pruning removes the lowest.</summary>
public interface IChannelImportance
{
    /// <summary>Short name as the CLI spells it.</summary>
    string Name { get; }
    /// <summary>One score per channel of <paramref name="group"/> (length <see cref="ChannelGroup.Channels"/>).</summary>
    float[] Score(ChannelAnalysis analysis, ChannelGroup group);
}

/// <summary>
/// Any element criterion (<see cref="IImportance"/>) lifted to channels: a channel's score in one member is the sum of
/// the element scores of its slice (the producer's rows, a consumer's input slice, optionally the BatchNorm scale);
/// each member's scores are normalized, then combined across members.
/// </summary>
public sealed class GroupImportance : IChannelImportance
{
    private readonly IImportance _criterion;
    private readonly IReadOnlyDictionary<string, LayerStatistics>? _statistics;

    /// <summary>Group L1 magnitude (sum of |w| over each channel's slices), members normalized by their mean.</summary>
    public static GroupImportance L1 { get; } = new(Magnitude.L1);
    /// <summary>Group L2 magnitude (sum of squares over each channel's slices), members normalized by their mean.</summary>
    public static GroupImportance L2 { get; } = new(Magnitude.L2);

    /// <summary>Lifts <paramref name="criterion"/>; criteria that need calibration take their statistics by weight name.</summary>
    public GroupImportance(IImportance criterion, IReadOnlyDictionary<string, LayerStatistics>? statistics = null)
    {
        _criterion = criterion ?? throw new ArgumentNullException(nameof(criterion));
        _statistics = statistics;
    }

    /// <summary>How members combine.</summary>
    public ChannelAggregation Aggregation { get; init; } = ChannelAggregation.Sum;
    /// <summary>How each member is scaled first.</summary>
    public MemberNormalization Normalization { get; init; } = MemberNormalization.Mean;
    /// <summary>Whether consumers' input slices count (they do by default: a channel no one reads much matters little).</summary>
    public bool IncludeConsumers { get; init; } = true;
    /// <summary>Whether the magnitude of BatchNorm and InstanceNorm scales counts as a member.</summary>
    public bool IncludeNormalizationScale { get; init; }

    /// <inheritdoc/>
    public string Name => "group-" + _criterion.Name;

    /// <inheritdoc/>
    public float[] Score(ChannelAnalysis analysis, ChannelGroup group)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(group);
        var combined = new MemberCombiner(group.Channels, Normalization, Aggregation);
        foreach (var slice in analysis.Slices)
        {
            if (slice.Tensor is null || !MemberScores.Touches(analysis, slice, group)) continue;
            bool use = slice.Role switch
            {
                MemberRole.ProducerWeight or MemberRole.DepthwiseWeight => true,
                MemberRole.ConsumerWeight => IncludeConsumers,
                MemberRole.Normalization => IncludeNormalizationScale && slice.Node.Inputs[1] == slice.Tensor,
                _ => false,
            };
            if (!use) continue;
            var w = analysis.Constants.Get(slice.Tensor)!;
            var elements = ElementScores(analysis.Graph, slice, w);
            var perPosition = MemberScores.AxisSums(elements, w.Shape, slice.Axis);
            combined.Add(MemberScores.PerChannel(analysis, slice, group, perPosition));
        }
        return combined.Result();
    }

    private float[] ElementScores(ModelGraph graph, MemberSlice slice, Tensor w)
    {
        var layer = MemberScores.Layer(graph, slice.Node, slice.Tensor!, w);
        bool matrix = layer is not null;
        if (_criterion.Needs != CalibrationNeeds.None)
        {
            // Statistics describe a weight matrix; anything else (norm scales, ConvTranspose) falls back to |w|.
            if (!matrix) return Magnitude.L1.Score(MemberScores.Vector(slice.Node, slice.Tensor!, w), null);
            if (_statistics?.GetValueOrDefault(slice.Tensor!) is not { } stats)
                throw new ArgumentException($"criterion '{_criterion.Name}' needs calibration statistics for weight '{slice.Tensor}'; collect them first");
            return _criterion.Score(layer!, stats);
        }
        return _criterion.Score(layer ?? MemberScores.Vector(slice.Node, slice.Tensor!, w), null);
    }
}

/// <summary>Random channel scores: the baseline. Deterministic in (seed, group root, channel).</summary>
public sealed class RandomChannelImportance(ulong seed) : IChannelImportance
{
    /// <inheritdoc/>
    public string Name => "random";

    /// <inheritdoc/>
    public float[] Score(ChannelAnalysis analysis, ChannelGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        ulong stream = Data.KeyedRandom.Hash(seed, MemberScores.StableHash(group.Root), 0x4348524EUL /* "CHRN" */);
        var s = new float[group.Channels];
        for (int i = 0; i < s.Length; i++) s[i] = (Data.KeyedRandom.Hash(stream, (ulong)i, 0) >> 40) * (1f / (1 << 24));
        return s;
    }
}

/// <summary>The channel criteria by the names the CLI accepts.</summary>
public static class ChannelCriteria
{
    /// <summary>Accepted names: l1 (also magnitude), l2, fpgm, random.</summary>
    public static readonly IReadOnlyList<string> Names = ["l1", "l2", "fpgm", "random"];

    /// <summary>The criterion named <paramref name="name"/>; <paramref name="seed"/> seeds random. Throws naming the accepted names.</summary>
    public static IChannelImportance Parse(string name, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(name);
        return name.Trim().ToLowerInvariant() switch
        {
            "l1" or "magnitude" or "magnitude-l1" => GroupImportance.L1,
            "l2" or "magnitude-l2" => GroupImportance.L2,
            "fpgm" => new Fpgm(),
            "random" => new RandomChannelImportance(seed),
            _ => throw new ArgumentException($"channel criterion '{name}' is not one of: {string.Join(", ", Names)}"),
        };
    }
}
