using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Tests.Quantization.WeightOnly;

/// <summary>
/// A plain, independent reading of the weight-only form for the tests: DequantizeLinear of opset 21 evaluated from its
/// definition (per tensor, per axis, or blocked along one axis), and a graph whose constant DequantizeLinear (and
/// Reshape) nodes are replaced by the float initializers they compute, so that it runs with float ops only.
/// </summary>
internal static class BlockedDequantizeReference
{
    /// <summary>y = (x - zero_point) · scale with the scale index of each element as ONNX defines it.</summary>
    public static Tensor Dequantize(Tensor x, Tensor scale, Tensor? zero, long axis, long blockSize)
    {
        var y = Tensor.Zeros((int[])x.Shape.Clone());
        int rank = x.Rank;
        if (axis < 0) axis += rank;
        var index = new int[rank];
        for (int i = 0; i < x.Length; i++)
        {
            // Coordinates of element i, then of its scale.
            for (int d = rank - 1, rest = i; d >= 0; d--) { index[d] = rest % x.Shape[d]; rest /= x.Shape[d]; }
            int s;
            if (scale.Length == 1) s = 0;
            else if (blockSize == 0) s = index[axis];
            else
            {
                s = 0;
                for (int d = 0; d < rank; d++) s = s * scale.Shape[d] + (d == axis ? (int)(index[d] / blockSize) : index[d]);
            }
            double z = zero is null ? 0 : zero.GetAsDouble(s);
            y.Floats[i] = (float)((x.GetAsDouble(i) - z) * scale.Floats[s]);
        }
        return y;
    }

    /// <summary>A copy of <paramref name="graph"/> whose DequantizeLinear and following Reshape of constants are folded into float initializers.</summary>
    public static ModelGraph Materialize(ModelGraph graph)
    {
        var g = graph.Clone();
        foreach (var node in g.Nodes.ToList())
        {
            var init = g.Initializers;
            if (node.OpType == "DequantizeLinear" && init.ContainsKey(node.Inputs[0]))
            {
                var zero = node.InputOrNull(2) is { } z ? init[z] : null;
                init[node.Outputs[0]] = Dequantize(init[node.Inputs[0]], init[node.Inputs[1]], zero,
                    node.Attributes.TryGetValue("axis", out var a) ? a.Int : 1, node.Attributes.TryGetValue("block_size", out var b) ? b.Int : 0);
                g.Nodes.Remove(node);
            }
            else if (node.OpType == "Reshape" && init.TryGetValue(node.Inputs[0], out var data) && init.TryGetValue(node.Inputs[1], out var shape))
            {
                init[node.Outputs[0]] = data.Clone().Reshape(shape.ToInt64Array().Select(d => (int)d).ToArray());
                g.Nodes.Remove(node);
            }
        }
        var used = new HashSet<string>(g.Nodes.SelectMany(n => n.Inputs));
        foreach (var name in g.Initializers.Keys.ToList())
            if (!used.Contains(name)) g.Initializers.Remove(name);
        return g;
    }
}
