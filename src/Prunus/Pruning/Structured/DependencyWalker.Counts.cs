using Prunus.Graph;

namespace Prunus.Pruning.Structured;

/// <summary>One element of a shape computed from Shape: a tracked channel count, a known value, or neither.</summary>
/// <param name="Channels">The channels whose count this element is, if it is one.</param>
/// <param name="Value">The element's value when it is fixed.</param>
internal readonly record struct CountEntry(ChannelMap? Channels, long? Value)
{
    /// <summary>The Concat that assembled this element from a one-element input of its own, and that input's index.</summary>
    public (Node Concat, int Input)? Piece { get; init; }
}

// Channel counts read through Shape. PyTorch exports x.view(x.size(0), x.size(1), -1) and x.flatten(2) as
// Shape -> Gather/Slice -> Unsqueeze -> Concat -> Reshape; such a target follows the pruned channels by itself, so these
// chains are tracked element by element. Any other use of a tracked count (arithmetic, ConstantOfShape, Expand, ...)
// blocks its channels.
internal sealed partial class DependencyWalker
{
    private readonly Dictionary<string, CountEntry[]> _vectors = new(StringComparer.Ordinal);

    private CountEntry[]? Vector(string? value) => value is { Length: > 0 } && _vectors.TryGetValue(value, out var v) ? v : null;

    private void BlockVector(string? value, string reason)
    {
        if (Vector(value) is not { } v) return;
        foreach (var e in v)
            if (e.Channels is { } m) Block(m, reason);
    }

    /// <summary>Follows the shape-computing ops whose inputs include tracked counts; others are left for the walk to block.</summary>
    private void VisitCounts(Node n, HashSet<int> handled)
    {
        if (n.Outputs.Count == 0) return;
        var output = n.Outputs[0];
        switch (n.OpType)
        {
            case "Cast" or "Identity" when Vector(n.Inputs[0]) is { } v:
                _vectors[output] = Unplaced(v);
                handled.Add(0);
                break;
            case "Unsqueeze" or "Squeeze" when Vector(n.Inputs[0]) is { } v && Rank(n.Inputs[0]) is { } r && Rank(output) is { } ro
                && (r, ro) is (0, 1) or (1, 0) or (1, 1):
                _vectors[output] = Unplaced(v);
                for (int i = 0; i < n.Inputs.Count; i++) handled.Add(i);
                break;
            case "Gather" when Vector(n.Inputs[0]) is { } v && Int(n, "axis", 0) == 0 && n.Inputs.Count > 1
                && _facts.Constant(n.Inputs[1])?.ToInt64Array() is { } idx && idx.All(i => i >= -v.Length && i < v.Length):
                _vectors[output] = Unplaced(idx.Select(i => v[i < 0 ? i + v.Length : i]).ToArray());
                handled.Add(0);
                handled.Add(1);
                break;
            case "Slice" when Vector(n.Inputs[0]) is { } v && SliceRange(n, v.Length) is { } range:
                _vectors[output] = Unplaced(v[range.Start..range.End]);
                for (int i = 0; i < n.Inputs.Count; i++) handled.Add(i);
                break;
            case "Concat" when Rank(output) == 1 && ConcatCounts(n) is { } entries:
                _vectors[output] = entries;
                for (int i = 0; i < n.Inputs.Count; i++) handled.Add(i);
                break;
        }
    }

    /// <summary>The entries without the Concat pieces they came from (a piece is only replaceable in its own Concat).</summary>
    private static CountEntry[] Unplaced(CountEntry[] v) => v.Any(e => e.Piece is not null) ? v.Select(e => e with { Piece = null }).ToArray() : v;

    /// <summary>The [start, end) a one-axis, unit-step Slice of a vector of <paramref name="length"/> takes, when constant.</summary>
    private (int Start, int End)? SliceRange(Node n, int length)
    {
        long[]? Arg(int input, string attribute) => n.Attributes.TryGetValue(attribute, out var a) ? a.Ints
            : n.InputOrNull(input) is { } name ? _facts.Constant(name)?.ToInt64Array() : null;
        var starts = Arg(1, "starts");
        var ends = Arg(2, "ends");
        var axes = Arg(3, "axes");
        var steps = Arg(4, "steps");
        if (starts is not [var s] || ends is not [var e]) return null;
        if ((n.InputOrNull(3) is not null || n.Attributes.ContainsKey("axes")) && axes is not ([0] or [-1])) return null;
        if (n.InputOrNull(4) is not null && steps is not [1]) return null;
        long Clamp(long x) => Math.Clamp(x < 0 ? x + length : x, 0, length);
        int start = (int)Clamp(s), end = (int)Clamp(e);
        return (start, Math.Max(start, end));
    }

    /// <summary>
    /// The elements of a 1-D Concat of tracked counts, constants and vectors of known length. An element that is a whole
    /// one-element input remembers it (<see cref="CountEntry.Piece"/>), so that a Reshape target assembled this way can
    /// have that element replaced.
    /// </summary>
    private CountEntry[]? ConcatCounts(Node n)
    {
        var entries = new List<CountEntry>();
        for (int i = 0; i < n.Inputs.Count; i++)
        {
            var input = n.Inputs[i];
            if (input.Length == 0) continue;
            CountEntry[] part;
            if (Vector(input) is { } v) part = v;
            else if (_facts.Constant(input) is { } t) part = t.ToInt64Array().Select(x => new CountEntry(null, x)).ToArray();
            else if (Dims(input) is [int length]) part = new CountEntry[length];
            else return null;
            if (part.Length == 1) part = [part[0] with { Piece = (n, i) }];
            entries.AddRange(part);
        }
        return entries.ToArray();
    }
}
