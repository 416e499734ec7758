using Prunus.Graph;

namespace Prunus.Pruning.Structured;

// The rules of the walk for ops that move, merge, split or select axes: followed where the channel mapping is
// provable from static shapes, blocked otherwise.
internal sealed partial class DependencyWalker
{
    private void Transpose(Node n, HashSet<int> handled)
    {
        handled.Add(0);
        if (Map(n.Inputs[0]) is not { } m || Rank(n.Inputs[0]) is not { } r) return;
        var perm = n.Attributes.TryGetValue("perm", out var p) ? p.Ints : Enumerable.Range(0, r).Reverse().Select(i => (long)i).ToArray();
        int axis = Array.IndexOf(perm, (long)m.Axis);
        if (axis < 0) { Block(m, $"{Describe(n)} has a permutation without the channel axis"); return; }
        Set(n.Outputs[0], new ChannelMap(axis, m.Units));
    }

    /// <summary>
    /// Reshape, Flatten, Squeeze, Unsqueeze. With the input [P..., C, A...] (P may hold the symbolic batch, C and A
    /// static) and the output [Q..., T, B...], the channels are followed when prod(P) = prod(Q) and T·prod(B) = C·prod(A)
    /// with prod(B) dividing prod(A): output position f along T then carries channel f / (prod(A)/prod(B)). Symbolic
    /// dimensions are allowed only in P and Q; the element counts agree for every input size, so prod(P) = prod(Q)
    /// holds for all of them once their static parts agree.
    /// </summary>
    private void View(Node n, HashSet<int> handled)
    {
        // A target computed from Shape is handled only once ReshapeTarget accepts it.
        for (int i = 0; i < n.Inputs.Count; i++) if (i == 0 || Vector(n.Inputs[i]) is null) handled.Add(i);
        if (Map(n.Inputs[0]) is not { } m) return;
        string why = $"{Describe(n)} reshapes the channels in a way structured pruning cannot follow";
        if (Dims(n.Inputs[0]) is not { } s || Dims(n.Outputs[0]) is not { } t) { Block(m, $"{Describe(n)} has shapes that are not known"); return; }
        int c = m.Axis;
        if (s.Skip(c).Any(d => d is null) || s[c] != m.Units.Length) { Block(m, why); return; }
        long before = StaticProduct(s.Take(c)), after = StaticProduct(s.Skip(c + 1)), channels = s[c]!.Value;
        int j = -1;
        long per = 0;
        for (int k = 0; k < t.Length && j < 0; k++)
        {
            if (t.Skip(k).Any(d => d is null) || StaticProduct(t.Take(k)) != before) continue;
            long rest = StaticProduct(t.Skip(k + 1));
            if (rest > 0 && t[k]!.Value * rest == channels * after && after % rest == 0) { j = k; per = after / rest; }
        }
        if (j < 0)
        {
            if (!SplitHeads(n, handled, m, t, before, after)) Block(m, why);
            return;
        }
        var units = new int[t[j]!.Value];
        for (int f = 0; f < units.Length; f++) units[f] = m.Units[f / per];
        if (n.OpType == "Reshape" && !ReshapeTarget(n, handled, m, c, j, per, units)) return;
        Set(n.Outputs[0], new ChannelMap(j, units));
    }

    /// <summary>
    /// A Reshape that splits the channels over several axes, as attention does ([N, S, C] to [N, S, H, d] or
    /// [N, S, 3, H, d]) and GroupNorm's export ([N, C, H, W] to [N, G, C/G·H·W]). Of the axes that carry channel bits,
    /// the second-to-last is the head axis H, and channels go only a whole head at a time: every channel of head h
    /// (across the axes before H, such as q/k/v, and within a head, d) joins one class, carried on H. Needs H's stride
    /// to be a whole number of channels and the target's head count to be rewritable.
    /// </summary>
    private bool SplitHeads(Node n, HashSet<int> handled, ChannelMap m, int?[] t, long before, long after)
    {
        long channels = m.Units.Length;
        int first = -1;
        for (int k = 0; k < t.Length && first < 0; k++)
            if (!t.Skip(k).Any(d => d is null) && StaticProduct(t.Take(k)) == before && StaticProduct(t.Skip(k)) == channels * after) first = k;
        if (first < 0) return false;
        // Axes whose positions step through channels: stride times size above one channel's span.
        var channelAxes = Enumerable.Range(first, t.Length - first).Where(k => t[k]!.Value * StaticProduct(t.Skip(k + 1)) > after).ToList();
        if (channelAxes.Count < 2) return false;
        int head = channelAxes[^2];
        long stride = StaticProduct(t.Skip(head + 1));
        if (stride % after != 0) return false;
        long block = stride / after;
        int heads = t[head]!.Value;
        var members = Enumerable.Range(0, heads).Select(_ => new List<int>()).ToArray();
        for (int ch = 0; ch < channels; ch++) members[(int)(ch / block % heads)].Add(m.Units[ch]);
        var units = members.Select(list => list.FirstOrDefault(u => u >= 0, -1)).ToArray();
        if (n.OpType == "Reshape" && !ReshapeTarget(n, handled, m, -1, head, -1, units)) return true;
        foreach (var list in members)
        {
            // A head mixing removable channels with fixed ones cannot go.
            if (list.Any(u => u < 0)) Block(new ChannelMap(0, list.ToArray()), $"{Describe(n)} splits heads that hold channels no group removes");
            foreach (var u in list) Union(list[0], u);
        }
        Set(n.Outputs[0], new ChannelMap(head, units));
        return true;
    }

    /// <summary>
    /// Whether the two positions lists hold the same classes as many times each, so that any removal keeps as many of
    /// one as of the other. Classes only merge later on, which keeps equal lists equal.
    /// </summary>
    private bool SameClasses(int[] a, int[] b)
    {
        if (a.Length != b.Length || a.Any(u => u < 0) || b.Any(u => u < 0)) return false;
        var x = a.Select(Find).Order().ToArray();
        var y = b.Select(Find).Order().ToArray();
        return x.AsSpan().SequenceEqual(y);
    }

    private static long StaticProduct(IEnumerable<int?> dims) => dims.Aggregate(1L, (a, d) => a * (d ?? 1));

    /// <summary>
    /// Whether the Reshape's target stays right once channels go: entry <paramref name="j"/> is -1 (inferred), 0 that
    /// copies the channel dimension itself, or a literal in an initializer, a Constant or the attribute (then a member
    /// rewrites it).
    /// </summary>
    private bool ReshapeTarget(Node n, HashSet<int> handled, ChannelMap m, int c, int j, long per, int[] units)
    {
        bool allowZero = Int(n, "allowzero", 0) != 0;
        string? source = n.Attributes.ContainsKey("shape") ? null : n.InputOrNull(1);
        // A Concat of sizes none of which the walk tracked (read from the shape of a tensor without channel groups) is
        // still a computed target whose elements can be told apart.
        var counts = source is null ? null
            : Vector(source) ?? (_graph.Producer(source) is { OpType: "Concat" } cat && Rank(source) == 1 ? ConcatCounts(cat) : null);
        if (source is not null && counts is not null)
        {
            // Computed from Shape (x.view(n, c, -1)): right by itself when its only channel count is, at j, a count of
            // the very channels axis j carries, which then shrinks exactly as that axis does.
            for (int k = 0; k < counts.Length; k++)
                if (k != j && counts[k].Channels is not null)
                {
                    Block(m, $"{Describe(n)} has a target shape computed from another channel count");
                    return false;
                }
            var at = j < counts.Length ? counts[j] : default;
            bool follows = at.Channels is { } own ? SameClasses(own.Units, units)
                : at.Value == -1 || at.Value == 0 && !allowZero && j == c && per == 1;
            if (!follows)
            {
                // A literal (the head count) or the count of other channels (attention merging its heads back reads
                // the hidden size): written anew when it is a one-element input of a Concat only this Reshape reads.
                // Elements computed in other ways (the head size as hidden / heads) do not change with these channels:
                // arithmetic on a tracked count blocks that count's channels.
                if (at.Piece is not { } piece || _outputs.Contains(source) || _consumers.GetValueOrDefault(source)?.Count != 1)
                {
                    Block(m, at.Channels is null ? $"{Describe(n)} has a computed target shape that holds the channel count"
                        : $"{Describe(n)} has a target shape computed from another channel count");
                    return false;
                }
                Member(MemberRole.TargetPiece, piece.Concat, null, j, units, entry: piece.Input);
            }
            handled.Add(1);
            return true;
        }
        long[]? target = source is null ? n.Attributes.GetValueOrDefault("shape")?.Ints : _facts.Constant(source)?.ToInt64Array();
        if (target is null || j >= target.Length) { Block(m, $"{Describe(n)} has a target shape that is not constant"); return false; }
        long entry = target[j];
        if (entry == -1) return true;
        if (entry == 0 && !allowZero)
        {
            if (j == c && per == 1) return true;
            Block(m, $"{Describe(n)} copies a dimension (0) where the channel count belongs");
            return false;
        }
        bool editable = source is null || Init(source) is not null
            || _graph.Producer(source) is { OpType: "Constant" } && _consumers.GetValueOrDefault(source)?.Count == 1;
        if (!editable) { Block(m, $"{Describe(n)} has a computed target shape that holds the channel count"); return false; }
        Member(MemberRole.ReshapeTarget, n, source, j, units, entry: j);
        return true;
    }

    private void Concat(Node n, HashSet<int> handled)
    {
        var inputs = Enumerable.Range(0, n.Inputs.Count).Where(i => n.Inputs[i].Length > 0).ToList();
        foreach (var i in inputs) handled.Add(i);
        var mapped = inputs.Where(i => Map(n.Inputs[i]) is not null).Select(i => Map(n.Inputs[i])!).ToList();
        if (Rank(n.Outputs[0]) is not { } r) { foreach (var m in mapped) Block(m, $"{Describe(n)} has an unknown shape"); return; }
        long axis = Int(n, "axis", 1);
        if (axis < 0) axis += r;
        int c = mapped[0].Axis;
        if (mapped.Any(m => m.Axis != c)) { foreach (var m in mapped) Block(m, $"{Describe(n)} joins channels on different axes"); return; }
        if (axis == c)
        {
            // Each input's channels take the next range of the output's.
            var units = new List<int>();
            foreach (var i in inputs)
            {
                if (Map(n.Inputs[i]) is { } m) { units.AddRange(m.Units); continue; }
                if (Dims(n.Inputs[i]) is not { } d || d[c] is not { } size)
                {
                    foreach (var mm in mapped) Block(mm, $"{Describe(n)} concatenates an input of unknown size");
                    return;
                }
                units.AddRange(Enumerable.Repeat(-1, size));
            }
            Set(n.Outputs[0], new ChannelMap(c, units.ToArray()));
            return;
        }
        // Concatenated along another axis: every input must lose the same channels.
        var result = mapped[0];
        foreach (var i in inputs)
        {
            if (Map(n.Inputs[i]) is { } m) { if (m.Units.Length == result.Units.Length) Join(result, m, $"{Describe(n)} joins channels"); else Block(m, $"{Describe(n)} joins inputs of unequal channels"); }
            else Block(result, $"{Describe(n)} concatenates the channels with '{n.Inputs[i]}', whose channels cannot shrink");
        }
        Set(n.Outputs[0], result);
    }

    private void Split(Node n, HashSet<int> handled)
    {
        for (int i = 0; i < n.Inputs.Count; i++) handled.Add(i);
        if (Map(n.Inputs[0]) is not { } m || Rank(n.Inputs[0]) is not { } r) return;
        long axis = Int(n, "axis", 0);
        if (axis < 0) axis += r;
        if (axis != m.Axis)
        {
            foreach (var o in n.Outputs) Set(o, m);
            return;
        }
        var parts = new int[n.Outputs.Count];
        for (int k = 0; k < parts.Length; k++)
        {
            if (Dims(n.Outputs[k]) is not { } d || d[m.Axis] is not { } size) { Block(m, $"{Describe(n)} splits channels into parts of unknown size"); return; }
            parts[k] = size;
        }
        var source = n.InputOrNull(1);
        if (source is not null && Init(source) is null) { Block(m, $"{Describe(n)} splits channels by computed sizes"); return; }
        Member(MemberRole.SplitSizes, n, source, m.Axis, m.Units, parts: parts);
        int offset = 0;
        for (int k = 0; k < parts.Length; k++)
        {
            Set(n.Outputs[k], new ChannelMap(m.Axis, m.Units.AsSpan(offset, parts[k]).ToArray()));
            offset += parts[k];
        }
    }

    private void Slice(Node n, HashSet<int> handled)
    {
        for (int i = 0; i < n.Inputs.Count; i++) handled.Add(i);
        if (Map(n.Inputs[0]) is not { } m || Rank(n.Inputs[0]) is not { } r) return;
        long[]? Arg(int input, string attribute) => n.Attributes.TryGetValue(attribute, out var a) ? a.Ints
            : n.InputOrNull(input) is { } name ? _facts.Constant(name)?.ToInt64Array() : null;
        var starts = Arg(1, "starts");
        var ends = Arg(2, "ends");
        var axes = Arg(3, "axes") ?? (starts is null ? null : Enumerable.Range(0, starts.Length).Select(i => (long)i).ToArray());
        var steps = Arg(4, "steps");
        if (starts is null || ends is null || axes is null || (n.InputOrNull(4) is not null && steps is null)) { Block(m, $"{Describe(n)} slices by values that are not constant"); return; }
        long channels = m.Units.Length;
        for (int i = 0; i < axes.Length; i++)
        {
            if ((axes[i] < 0 ? axes[i] + r : axes[i]) != m.Axis) continue;
            bool full = (starts[i] == 0 || starts[i] <= -channels) && ends[i] >= channels && (steps is null || steps[i] == 1);
            if (!full) { Block(m, $"{Describe(n)} selects some channels"); return; }
        }
        Set(n.Outputs[0], m);
    }

    private void Gather(Node n, HashSet<int> handled)
    {
        handled.Add(0);
        if (Map(n.Inputs[0]) is not { } m || Rank(n.Inputs[0]) is not { } r || Rank(n.Inputs[1]) is not { } ri) return;
        long axis = Int(n, "axis", 0);
        if (axis < 0) axis += r;
        if (axis == m.Axis) { Block(m, $"{Describe(n)} selects some channels"); return; }
        Set(n.Outputs[0], new ChannelMap(m.Axis < axis ? m.Axis : m.Axis + ri - 1, m.Units));
    }

    /// <summary>Shape of a tensor with channels: the channel count becomes a tracked entry of the result.</summary>
    private void Shape(Node n, HashSet<int> handled)
    {
        handled.Add(0);
        if (Map(n.Inputs[0]) is not { } m || Rank(n.Inputs[0]) is not { } r) return;
        long start = Int(n, "start", 0), end = Int(n, "end", r);
        if (start < 0) start += r;
        if (end < 0) end += r;
        start = Math.Clamp(start, 0, r);
        end = Math.Clamp(end, start, r);
        var dims = Dims(n.Inputs[0]);
        var entries = new CountEntry[end - start];
        for (long a = start; a < end; a++)
            entries[a - start] = a == m.Axis ? new CountEntry(m, null) : new CountEntry(null, dims?[a]);
        _vectors[n.Outputs[0]] = entries;
    }
}
