namespace Prunus.Pruning.Structured;

/// <summary>Which channels of which groups to remove: group id to channel indices (within the group).</summary>
public sealed class ChannelSelection
{
    private readonly SortedDictionary<int, SortedSet<int>> _removed = [];

    /// <summary>Removed channels by group id, each list ascending.</summary>
    public IReadOnlyDictionary<int, IReadOnlyList<int>> Removed =>
        _removed.Where(kv => kv.Value.Count > 0).ToDictionary(kv => kv.Key, kv => (IReadOnlyList<int>)kv.Value.ToList());

    /// <summary>Adds channels of <paramref name="group"/> to remove; returns this selection.</summary>
    public ChannelSelection Remove(ChannelGroup group, params int[] channels)
    {
        ArgumentNullException.ThrowIfNull(group);
        return Remove(group.Id, channels);
    }

    /// <summary>Adds channels of <paramref name="group"/> to remove; returns this selection.</summary>
    public ChannelSelection Remove(ChannelGroup group, IEnumerable<int> channels)
    {
        ArgumentNullException.ThrowIfNull(group);
        return Remove(group.Id, channels);
    }

    /// <summary>Adds channels of group <paramref name="groupId"/> to remove; returns this selection.</summary>
    public ChannelSelection Remove(int groupId, IEnumerable<int> channels)
    {
        ArgumentNullException.ThrowIfNull(channels);
        if (!_removed.TryGetValue(groupId, out var set)) _removed[groupId] = set = [];
        set.UnionWith(channels);
        return this;
    }

    /// <summary>Takes channels of group <paramref name="groupId"/> back out of the selection.</summary>
    internal void Keep(int groupId, int channel)
    {
        if (_removed.TryGetValue(groupId, out var set)) set.Remove(channel);
    }

    /// <summary>Number of channels removed from group <paramref name="groupId"/>.</summary>
    public int Count(int groupId) => _removed.TryGetValue(groupId, out var s) ? s.Count : 0;

    /// <summary>Total channels removed.</summary>
    public int Total => _removed.Values.Sum(s => s.Count);

    /// <summary>Whether channel <paramref name="channel"/> of group <paramref name="groupId"/> is removed.</summary>
    public bool Contains(int groupId, int channel) => _removed.TryGetValue(groupId, out var s) && s.Contains(channel);

    /// <summary>
    /// The removed global classes, after checking the selection against <paramref name="analysis"/>: known groups,
    /// prunable, channels in range, at least one channel left in each group.
    /// </summary>
    internal HashSet<int> Classes(ChannelAnalysis analysis)
    {
        var classes = new HashSet<int>();
        foreach (var (id, set) in _removed)
        {
            if (set.Count == 0) continue;
            if (id < 0 || id >= analysis.Groups.Count) throw new ArgumentException($"group {id} does not exist; the model has {analysis.Groups.Count} groups");
            var g = analysis.Groups[id];
            if (!g.IsPrunable) throw new ArgumentException($"group {id} ('{g.Root}') may not be pruned: {g.Reason}");
            if (set.Min < 0 || set.Max >= g.Channels) throw new ArgumentException($"group {id} ('{g.Root}') has channels 0..{g.Channels - 1}; cannot remove {(set.Min < 0 ? set.Min : set.Max)}");
            if (set.Count >= g.Channels) throw new ArgumentException($"removing all {g.Channels} channels of group {id} ('{g.Root}') would cut the model; keep at least one");
            foreach (var c in set) classes.Add(analysis.GroupClasses[id][c]);
        }
        return classes;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join("; ", _removed.Where(kv => kv.Value.Count > 0).Select(kv => $"group {kv.Key}: {string.Join(",", kv.Value)}"));
}

/// <summary>What the amount of structured pruning measures.</summary>
public enum ChannelTarget
{
    /// <summary>A fraction of every group's channels.</summary>
    Channels,
    /// <summary>A fraction of the model's parameters, removed across groups by global ranking.</summary>
    Parameters,
    /// <summary>A fraction of the model's FLOPs, removed across groups by global ranking.</summary>
    Flops,
    /// <summary>
    /// A fraction of the model's latency, predicted from its measured layer times (<see cref="ChannelPruningOptions.Latency"/>),
    /// removed across groups by global ranking.
    /// </summary>
    Latency,
}

/// <summary>
/// Milliseconds per run of each node at one batch size, keyed by node name (from
/// <see cref="Prunus.Graph.Planning.PlanProfiler.NodeTimes"/>).
/// </summary>
public sealed record LayerTimes(int Batch, IReadOnlyDictionary<string, double> NodeMs);

/// <summary>How much structured pruning removes, and under which constraints.</summary>
public sealed record ChannelPruningOptions
{
    /// <summary>What <see cref="Amount"/> measures.</summary>
    public ChannelTarget Target { get; init; } = ChannelTarget.Channels;
    /// <summary>Fraction to remove, in [0, 1): of each group's channels, or of the parameters or FLOPs (0.5 halves the FLOPs).</summary>
    public double Amount { get; init; }
    /// <summary>Each pruned group keeps a multiple of this many channels (8 suits SIMD kernels); 1 for no constraint.</summary>
    public int RoundTo { get; init; } = 1;
    /// <summary>Global targets: no group loses more than this fraction of its channels.</summary>
    public double MaxGroupAmount { get; init; } = 0.9;
    /// <summary>Explicit fractions for some groups, keyed by the name of any producer of the group; they override the target.</summary>
    public IReadOnlyDictionary<string, double>? GroupAmounts { get; init; }
    /// <summary>Producer node names whose groups are left whole.</summary>
    public IReadOnlyCollection<string>? Ignore { get; init; }
    /// <summary>Batch size at which FLOPs are counted.</summary>
    public int Batch { get; init; } = 1;
    /// <summary>
    /// Global targets: how much the cost a step saves weighs in its rank. A step's price is its channels' mean relative
    /// score divided by its saving (a fraction of the model's cost) to this power. 0 ranks by importance alone; 1 is the
    /// knapsack ratio, importance per unit saved, which sends the cut to the costliest groups. With magnitude scores
    /// (which do not measure the loss a channel causes) 0 kept the most accuracy in the measurements of
    /// docs/benchmarks.md: 1 concentrates the cut on few groups and loses more after fine-tuning.
    /// </summary>
    public double CostExponent { get; init; }
    /// <summary>With <see cref="ChannelTarget.Latency"/>: the unpruned model's layer times at one or more batch sizes.</summary>
    public IReadOnlyList<LayerTimes>? Latency { get; init; }

    /// <summary>Parses a CLI target: channels, params (or parameters), flops, latency.</summary>
    public static ChannelTarget ParseTarget(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim().ToLowerInvariant() switch
        {
            "channels" or "channel" => ChannelTarget.Channels,
            "params" or "parameters" => ChannelTarget.Parameters,
            "flops" => ChannelTarget.Flops,
            "latency" => ChannelTarget.Latency,
            _ => throw new ArgumentException($"target '{text}' is not one of: channels, params, flops, latency"),
        };
    }

    /// <summary>Throws with a message naming the bad value.</summary>
    public void Validate()
    {
        if (Amount is < 0 or >= 1 || double.IsNaN(Amount)) throw new ArgumentOutOfRangeException(nameof(Amount), Amount, "the amount must lie in [0, 1)");
        if (RoundTo < 1) throw new ArgumentOutOfRangeException(nameof(RoundTo), RoundTo, "round-to must be at least 1");
        if (MaxGroupAmount is < 0 or >= 1 || double.IsNaN(MaxGroupAmount)) throw new ArgumentOutOfRangeException(nameof(MaxGroupAmount), MaxGroupAmount, "the largest group amount must lie in [0, 1)");
        if (Batch < 1) throw new ArgumentOutOfRangeException(nameof(Batch), Batch, "the batch size must be at least 1");
        if (CostExponent is < 0 or > 4 || double.IsNaN(CostExponent)) throw new ArgumentOutOfRangeException(nameof(CostExponent), CostExponent, "the cost exponent must lie in [0, 4]");
        if (Target == ChannelTarget.Latency && (Latency is null || Latency.Count == 0))
            throw new ArgumentException("a latency target needs the model's layer times (Latency): measure them with PlanProfiler.NodeTimes", nameof(Latency));
        if (GroupAmounts is not null)
            foreach (var (name, a) in GroupAmounts)
                if (a is < 0 or >= 1 || double.IsNaN(a)) throw new ArgumentOutOfRangeException(nameof(GroupAmounts), a, $"the amount of group '{name}' must lie in [0, 1)");
    }
}
