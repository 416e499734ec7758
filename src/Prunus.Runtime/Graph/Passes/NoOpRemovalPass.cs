using Prunus.Tensors;

namespace Prunus.Graph.Passes;

/// <summary>
/// Removes nodes that pass their first input through unchanged, rewiring readers to that input (graph output names
/// are kept): Reshape, Flatten, Squeeze, Unsqueeze, Expand and Tile to the same shape whatever the input size, Slice
/// that keeps the whole tensor, Transpose by the identity permutation, Cast to the input's own type, Pad with zero
/// pads, Concat and Split of a single tensor, a Reduce* that is the identity (no axes with noop_with_empty_axes), and
/// arithmetic with a neutral constant that does not broadcast the input (x + 0, x - 0, x * 1, x / 1, x ^ 1).
/// </summary>
public sealed class NoOpRemovalPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "no-op-removal";

    /// <inheritdoc/>
    public bool ExportSafe => true;

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        var facts = ShapeFacts.Of(graph);
        var editor = new GraphEditor(graph);
        int count = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (node.Domain is not ("" or "ai.onnx") || node.Outputs.Count != 1 || node.Outputs[0].Length == 0) continue;
            if (PassedThrough(node, facts) is { } input && editor.Bypass(node, input)) count++;
        }
        editor.Commit();
        return count;
    }

    /// <summary>The input <paramref name="node"/> outputs unchanged, or null when it is not a no-op.</summary>
    private static string? PassedThrough(Node node, ShapeFacts facts)
    {
        var x = node.InputOrNull(0);
        if (x is null) return null;
        var y = node.Outputs[0];
        bool sameShape = facts.SameShape(x, y);
        switch (node.OpType)
        {
            case "Reshape" or "Flatten" or "Squeeze" or "Unsqueeze" or "Expand" or "Tile":
                return sameShape ? x : null;
            case "Slice":
                // Positive steps and an unchanged shape can only select everything, in order.
                return sameShape && (node.InputOrNull(4) is not { } steps || facts.Constant(steps) is { } s && s.ToInt64Array().All(v => v > 0)) ? x : null;
            case "Transpose":
                return IsIdentityPermutation(node, facts.Rank(x)) ? x : null;
            case "Cast":
                return node.Attributes.TryGetValue("to", out var to) && facts.Type(x) is { } type && (long)type == to.Int ? x : null;
            case "Pad":
                var pads = node.InputOrNull(1) is { } p ? facts.Constant(p)?.ToInt64Array() : node.Attributes.GetValueOrDefault("pads")?.Ints;
                return pads is not null && pads.All(v => v == 0) ? x : null;
            case "Concat":
                return node.Inputs.Count(i => i.Length > 0) == 1 ? x : null;
            case "Split":
                return sameShape ? x : null;
            case "ReduceSum" or "ReduceMean" or "ReduceMax" or "ReduceMin" or "ReduceProd" or "ReduceL2" or "ReduceL1"
                or "ReduceLogSumExp" or "ReduceSumSquare" or "ReduceLogSum":
                // Only the value-preserving ones are the identity over no axes; the others would still square or log.
                bool preserving = node.OpType is "ReduceSum" or "ReduceMean" or "ReduceMax" or "ReduceMin" or "ReduceProd";
                return preserving && sameShape && NoAxes(node, facts) && node.Attributes.GetValueOrDefault("noop_with_empty_axes")?.Int == 1 ? x : null;
            case "Add" or "Sub" or "Mul" or "Div" or "Pow":
                return NeutralOperand(node, facts);
            default:
                return null;
        }
    }

    private static bool IsIdentityPermutation(Node node, int? rank)
    {
        if (!node.Attributes.TryGetValue("perm", out var perm)) return rank is 0 or 1;
        for (int i = 0; i < perm.Ints.Length; i++) if (perm.Ints[i] != i) return false;
        return true;
    }

    private static bool NoAxes(Node node, ShapeFacts facts)
    {
        if (node.InputOrNull(1) is { } axes) return facts.Constant(axes) is { Length: 0 };
        return !node.Attributes.TryGetValue("axes", out var a) || a.Ints.Length == 0;
    }

    // x + 0, 0 + x, x - 0, x * 1, 1 * x, x / 1, x ^ 1, when the constant does not broadcast x to a larger shape.
    private static string? NeutralOperand(Node node, ShapeFacts facts)
    {
        if (node.Inputs.Count != 2 || node.InputOrNull(0) is not { } a || node.InputOrNull(1) is not { } b) return null;
        var y = node.Outputs[0];
        bool commutative = node.OpType is "Add" or "Mul";
        double neutral = node.OpType is "Add" or "Sub" ? 0 : 1;
        if (IsAll(facts.Constant(b), neutral) && facts.SameShape(a, y)) return a;
        if (commutative && IsAll(facts.Constant(a), neutral) && facts.SameShape(b, y)) return b;
        return null;
    }

    private static bool IsAll(Tensor? t, double value)
    {
        if (t is null || t.Type is not (DataType.Float32 or DataType.Float64 or DataType.Int64 or DataType.Int32)) return false;
        for (int i = 0; i < t.Length; i++) if (t.GetAsDouble(i) != value) return false;
        return true;
    }
}
