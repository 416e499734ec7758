using Prunus.Graph;
using Prunus.Graph.Analysis;
using Prunus.Tensors;

namespace Prunus.Pruning.Structured;

/// <summary>
/// Structured (channel) pruning: choose channels to remove per dependency group (<see cref="Select"/>), then cut them
/// out of a copy of the model (<see cref="Apply"/>), which comes out smaller, dense and exportable.
/// </summary>
/// <example><code>
/// var result = ChannelPruning.Prune(model, GroupImportance.L1,
///     new ChannelPruningOptions { Target = ChannelTarget.Flops, Amount = 0.5, RoundTo = 8 });
/// Console.WriteLine(result.Report.Format());
/// </code></example>
public static class ChannelPruning
{
    /// <summary>Analyses <paramref name="graph"/>, selects channels by <paramref name="importance"/> and removes them.</summary>
    public static StructuredPruningResult Prune(ModelGraph graph, IChannelImportance importance, ChannelPruningOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var analysis = ChannelDependencies.Find(graph);
        return Apply(analysis, Select(analysis, importance, options), options.Batch);
    }

    /// <summary>
    /// The channels to remove: the lowest-scoring ones of each prunable group. With a channel target every group loses
    /// the fraction given; with a parameter, FLOP or latency target, channels are ranked across groups (scores divided by
    /// their group's mean, and by the cost they save if <see cref="ChannelPruningOptions.CostExponent"/> is above 0) and
    /// removed until the model has lost that fraction, each group by steps that keep a multiple of
    /// <see cref="ChannelPruningOptions.RoundTo"/>. Every group keeps at least one channel (or one multiple).
    /// </summary>
    public static ChannelSelection Select(ChannelAnalysis analysis, IChannelImportance importance, ChannelPruningOptions options)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(importance);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var ignored = GroupsNamed(analysis, options.Ignore ?? [], "ignored").Keys.ToHashSet();
        var explicitAmounts = GroupsNamed(analysis, options.GroupAmounts?.Keys ?? [], "given an amount")
            .ToDictionary(kv => kv.Key, kv => options.GroupAmounts![kv.Value]);
        var groups = analysis.Prunable.Where(g => !ignored.Contains(g.Id)).ToList();
        var scores = new Dictionary<int, float[]>();
        var order = new Dictionary<int, int[]>();
        foreach (var g in groups)
        {
            var s = importance.Score(analysis, g);
            if (s.Length != g.Channels) throw new InvalidOperationException($"criterion '{importance.Name}' gave {s.Length} scores for the {g.Channels} channels of group '{g.Root}'");
            scores[g.Id] = s;
            var o = Enumerable.Range(0, g.Channels).ToArray();
            Array.Sort(o, (a, b) => s[a] != s[b] ? s[a].CompareTo(s[b]) : a.CompareTo(b));
            order[g.Id] = o;
        }

        var selection = new ChannelSelection();
        foreach (var g in groups)
        {
            double? amount = explicitAmounts.TryGetValue(g.Id, out var e) ? e : options.Target == ChannelTarget.Channels ? options.Amount : null;
            if (amount is not { } a) continue;
            int keep = KeepCount(g.Channels, a, options.RoundTo);
            selection.Remove(g.Id, order[g.Id].Take(g.Channels - keep));
        }
        if (options.Target != ChannelTarget.Channels && options.Amount > 0)
            SelectGlobally(analysis, groups.Where(g => !explicitAmounts.ContainsKey(g.Id)).ToList(), scores, order, options, selection);
        Repair(analysis, selection, scores);
        return selection;
    }

    /// <summary>Channels a group of <paramref name="channels"/> keeps after losing <paramref name="amount"/>: at least 1, a multiple of <paramref name="roundTo"/> (or all).</summary>
    public static int KeepCount(int channels, double amount, int roundTo)
    {
        int keep = Math.Max(1, channels - (int)Math.Round(amount * channels));
        if (roundTo > 1) keep = Math.Min(channels, (keep + roundTo - 1) / roundTo * roundTo);
        return keep;
    }

    /// <summary>
    /// Removes <paramref name="selection"/> from a copy of the analysed graph and reports channels, parameters and
    /// FLOPs (at <paramref name="batch"/>) before and after. The original graph is not modified.
    /// </summary>
    public static StructuredPruningResult Apply(ChannelAnalysis analysis, ChannelSelection selection, int batch = 1)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(selection);
        var removed = selection.Classes(analysis);
        var pruned = ChannelSurgery.Apply(analysis, removed);
        var before = ModelSummary.Of(analysis.Graph, batch);
        var after = ModelSummary.Of(pruned, batch);
        var groups = analysis.Groups.Select(g => new GroupPruningReport(g.Id, g.Root, g.Channels, g.Channels - selection.Count(g.Id), g.Reason)).ToList();
        return new StructuredPruningResult(pruned, selection,
            new StructuredPruningReport(groups, before.Parameters, after.Parameters, before.Flops, after.Flops, batch));
    }

    /// <summary>Predicted parameters and FLOPs (at <paramref name="batch"/>) of the model with <paramref name="selection"/> removed.</summary>
    public static (long Parameters, long Flops) Estimate(ChannelAnalysis analysis, ChannelSelection selection, int batch = 1)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(selection);
        var removed = selection.Classes(analysis);
        return ((long)Math.Round(CostModel.Parameters(analysis).With(removed)), (long)Math.Round(CostModel.Flops(analysis, batch).With(removed)));
    }

    /// <summary>
    /// A copy of the analysed graph, full size, in which every consumer's input slice of the selected channels is zero:
    /// it computes exactly what the pruned model computes (the selected channels still flow but nothing reads them).
    /// Useful to check a pruning, or to evaluate one before committing to the surgery.
    /// </summary>
    public static ModelGraph Silence(ChannelAnalysis analysis, ChannelSelection selection)
    {
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(selection);
        var removed = selection.Classes(analysis);
        var graph = analysis.Graph.Clone();
        var constants = new ConstantTensors(graph);
        foreach (var s in analysis.Slices)
        {
            if (s.Role != MemberRole.ConsumerWeight || constants.Get(s.Tensor) is not { } t) continue;
            int outer = 1, inner = 1, dim = t.Shape[s.Axis];
            for (int i = 0; i < s.Axis; i++) outer *= t.Shape[i];
            for (int i = s.Axis + 1; i < t.Rank; i++) inner *= t.Shape[i];
            var w = t.Floats;
            for (int p = 0; p < dim; p++)
                if (s.Classes[p] >= 0 && removed.Contains(s.Classes[p]))
                    for (int o = 0; o < outer; o++) w.Slice((o * dim + p) * inner, inner).Clear();
        }
        return graph;
    }

    /// <summary>The groups of the producers named in <paramref name="names"/> (group id to name); unknown names are an error.</summary>
    private static Dictionary<int, string> GroupsNamed(ChannelAnalysis analysis, IEnumerable<string> names, string what)
    {
        var found = new Dictionary<int, string>();
        foreach (var name in names)
        {
            var g = analysis.Groups.FirstOrDefault(g => g.Producers.Contains(name))
                ?? throw new ArgumentException($"'{name}' ({what}) is not a producer of any channel group; producers: {string.Join(", ", analysis.Groups.SelectMany(g => g.Producers))}");
            found.TryAdd(g.Id, name);
        }
        return found;
    }

    /// <summary>
    /// Removes channels across <paramref name="groups"/> in steps (one channel, or down to the next multiple of the
    /// round-to), cheapest first, until the cost has lost the target's fraction. A step's price is its channels' mean
    /// relative score, divided by the cost it saves raised to <see cref="ChannelPruningOptions.CostExponent"/> (1: the
    /// greedy answer to the knapsack of keeping the most importance within the budget). A step's saving only shrinks as
    /// other groups lose channels (the terms it shares lose other factors), so stale prices are refreshed when they come
    /// up (lazy greedy) rather than after every step.
    /// </summary>
    private static void SelectGlobally(ChannelAnalysis analysis, List<ChannelGroup> groups, Dictionary<int, float[]> scores,
        Dictionary<int, int[]> order, ChannelPruningOptions options, ChannelSelection selection)
    {
        var cost = options.Target switch
        {
            ChannelTarget.Parameters => CostModel.Parameters(analysis),
            ChannelTarget.Latency => CostModel.Latency(analysis, options.Latency!),
            _ => CostModel.Flops(analysis, options.Batch),
        };
        double beta = options.CostExponent, full = cost.Total;
        double goal = full * (1 - options.Amount);
        foreach (var (id, channels) in selection.Removed)
            foreach (var c in channels) cost.Remove(analysis.GroupClasses[id][c]);

        // Scores relative to their group's mean, so that groups of different scale rank together.
        var relative = new Dictionary<int, double[]>();
        foreach (var g in groups)
        {
            var s = scores[g.Id];
            double mean = s.Length == 0 ? 0 : s.Average(v => (double)v);
            relative[g.Id] = s.Select(v => mean > 0 ? v / mean : v).ToArray();
        }
        var removedCount = groups.ToDictionary(g => g.Id, _ => 0);
        var queue = new PriorityQueue<int, (double, int)>();

        // The next step of group g (channels in removal order), or null if the group may lose no more.
        List<int>? NextStep(ChannelGroup g)
        {
            int kept = g.Channels - removedCount[g.Id];
            int minKeep = Math.Max(1, (int)Math.Ceiling((1 - options.MaxGroupAmount) * g.Channels - 1e-9));
            int r = options.RoundTo;
            if (r > 1) minKeep = (minKeep + r - 1) / r * r;
            int next = r <= 1 ? kept - 1 : kept % r != 0 ? kept / r * r : kept - r;
            if (next < minKeep || next < 1) return null;
            return order[g.Id].Skip(removedCount[g.Id]).Take(kept - next).ToList();
        }
        // Its price (lower goes first); null when it saves nothing.
        double? Priority(ChannelGroup g, List<int> step)
        {
            double saved = (cost.Total - cost.With(step.Select(c => analysis.GroupClasses[g.Id][c]))) / full;
            if (!(saved > 1e-12)) return null;
            double score = step.Average(c => relative[g.Id][c]);
            return beta == 0 ? score : score / Math.Pow(saved, beta);
        }
        void Push(ChannelGroup g)
        {
            if (NextStep(g) is { } step && Priority(g, step) is { } p) queue.Enqueue(g.Id, (p, g.Id));
        }
        foreach (var g in groups) Push(g);
        while (cost.Total > goal && queue.TryDequeue(out var id, out var priority))
        {
            var g = analysis.Groups[id];
            var step = NextStep(g)!;
            if (beta > 0)
            {
                if (Priority(g, step) is not { } now) continue;
                if (now > priority.Item1 && queue.TryPeek(out _, out var head) && (now, id).CompareTo(head) > 0)
                {
                    queue.Enqueue(id, (now, id));
                    continue;
                }
            }
            foreach (var c in step) cost.Remove(analysis.GroupClasses[id][c]);
            selection.Remove(id, step);
            removedCount[id] += step.Count;
            Push(g);
        }
    }

    /// <summary>
    /// Puts back, where a selection would empty a tensor (a Split output or a concatenated input that holds only
    /// selected channels), the best-scoring channel it removed there.
    /// </summary>
    private static void Repair(ChannelAnalysis analysis, ChannelSelection selection, Dictionary<int, float[]> scores)
    {
        var spans = analysis.Values.Values.Select(v => v.Classes).ToList();
        foreach (var s in analysis.Slices.Where(s => s.Role == MemberRole.SplitSizes))
        {
            int offset = 0;
            foreach (var part in s.Parts) { spans.Add(s.Classes[offset..(offset + part)]); offset += part; }
        }
        foreach (var classes in spans)
        {
            if (classes.Length == 0 || classes.Any(c => c < 0 || !selection.Contains(analysis.ClassGroup[c], analysis.ClassChannel[c]))) continue;
            int best = classes.MaxBy(c => scores.TryGetValue(analysis.ClassGroup[c], out var s) ? s[analysis.ClassChannel[c]] : 0);
            selection.Keep(analysis.ClassGroup[best], analysis.ClassChannel[best]);
        }
    }
}
