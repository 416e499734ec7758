using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Pruning;
using Prunus.Tensors;

namespace Prunus.Quantization.WeightOnly;

/// <summary>
/// Writes a group-quantized weight into a graph in the QDQ weight-only form: an integer initializer (int4/uint4 or
/// int8/uint8) -> DequantizeLinear (opset 21, <c>block_size</c> along the reduction, or per channel along the
/// output axis when a group spans the whole row) -> the op's weight input. Activations stay float.
/// </summary>
/// <remarks>
/// Gemm with transB = 1 keeps W [N, K]: blocks along axis 1, scales [N, ceil(K/G)]. MatMul and Gemm without transB
/// keep W [K, N]: blocks along axis 0, scales [ceil(K/G), N]. A Conv's reduction runs over several dimensions
/// (C/group x kernel), which a block along one axis cannot follow, so its weight is stored flattened as [K, R],
/// dequantized with blocks along axis 1, and reshaped back to [K, C/group, k1, ...] before the Conv. Per channel:
/// 1-D scales along the output axis (0 for Conv and Gemm with transB, 1 otherwise) on the weight's own shape.
/// Zero points are always given (zeros when symmetric), shaped and typed as the quantized values' scales.
/// </remarks>
internal static class BlockedWeights
{
    /// <summary>
    /// Replaces <paramref name="layer"/>'s float weight by the dequantized <paramref name="matrix"/>: every reader of
    /// the weight reads the DequantizeLinear (or Reshape) output instead, and the float initializer is removed.
    /// Returns whether the form needs opset 21 (blocks, or 4-bit types).
    /// </summary>
    public static bool Replace(GraphEditor editor, PrunableLayer layer, GroupQuantizedMatrix matrix)
    {
        var graph = editor.Graph;
        int rows = layer.Outputs, cols = layer.Reduction;
        if (matrix.Rows != rows || matrix.Columns != cols)
            throw new ArgumentException($"layer '{layer.Name}' is {rows} x {cols}, the quantized matrix {matrix.Rows} x {matrix.Columns}");
        bool perChannel = matrix.Groups == 1;
        bool flatten = layer.Kind == LayerKind.Conv && !perChannel;
        int[] shape = layer.Transposed ? [cols, rows] : flatten ? [rows, cols] : (int[])layer.Weight.Shape.Clone();
        int axis = perChannel ? (layer.Transposed ? 1 : 0) : (layer.Transposed ? 0 : 1);

        var type = matrix.Spec.Type;
        var values = Integers(type, shape);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) Set(values, layer.Index(r, c), matrix.Values[(long)r * cols + c]);

        int groups = matrix.Groups;
        int[] scaleShape = perChannel ? [rows] : layer.Transposed ? [groups, rows] : [rows, groups];
        var scales = Tensor.Zeros(scaleShape);
        var zeros = Integers(type, scaleShape);
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < groups; g++)
            {
                int at = perChannel ? r : layer.Transposed ? g * rows + r : r * groups + g;
                scales.Floats[at] = matrix.Scales[r * groups + g];
                Set(zeros, at, matrix.ZeroPoints[r * groups + g]);
            }

        var weight = layer.WeightName;
        var readers = editor.Consumers(weight);
        var first = graph.Nodes.Where(readers.Contains).First();
        var dqOutput = editor.UniqueName(weight + (flatten ? "_dequantized_2d" : "_dequantized"));
        var dq = new Node("DequantizeLinear", editor.UniqueName(weight + "_DequantizeLinear"),
            [editor.AddInitializer(weight + "_quantized", values), editor.AddInitializer(weight + "_scale", scales), editor.AddInitializer(weight + "_zero_point", zeros)],
            [dqOutput]).With("axis", AttributeValue.Of((long)axis));
        if (!perChannel) dq.Attributes["block_size"] = AttributeValue.Of((long)matrix.GroupSize);
        editor.Add(dq, before: first);
        var output = dqOutput;
        if (flatten)
        {
            var original = Tensor.From(layer.Weight.Shape.Select(d => (long)d).ToArray(), layer.Weight.Rank);
            output = editor.UniqueName(weight + "_dequantized");
            editor.Add(new Node("Reshape", editor.UniqueName(weight + "_Reshape"), [dqOutput, editor.AddInitializer(weight + "_shape", original)], [output]), before: first);
        }
        editor.ReplaceUses(weight, output);
        graph.Initializers.Remove(weight);
        graph.Inputs.RemoveAll(i => i.Name == weight);
        graph.ValueInfos.RemoveAll(i => i.Name == weight);
        return !perChannel || type.Bits() == 4;
    }

    /// <summary>Bytes the quantized weight takes in a file: packed values, float scales and packed zero points.</summary>
    public static long FileBytes(GroupQuantizedMatrix m)
    {
        int bits = m.Spec.Type.Bits();
        long values = ((long)m.Values.Length * bits + 7) / 8;
        long zeros = ((long)m.ZeroPoints.Length * bits + 7) / 8;
        return values + zeros + 4L * m.Scales.Length;
    }

    /// <summary>A zero tensor holding values of <paramref name="type"/> (4-bit types one per byte; files pack them).</summary>
    private static Tensor Integers(QuantizedType type, int[] shape) => Tensor.Zeros(type.ToDataType(), shape);

    // Signed types live in sbyte[], unsigned ones in byte[] (an `is sbyte[]` test cannot tell them apart: the runtime
    // treats byte[] and sbyte[] as convertible).
    private static void Set(Tensor t, int index, int value)
    {
        if (t.Storage.GetType() == typeof(sbyte[])) t.Span<sbyte>()[index] = checked((sbyte)value);
        else t.Span<byte>()[index] = checked((byte)value);
    }
}
