using Prunus.Graph;
using Prunus.Graph.Ops;
using Prunus.Graph.Passes;
using Prunus.Kernels;
using Prunus.Quantization.WeightOnly;
using Prunus.Tensors;

namespace Prunus.Quantization.Qat;

/// <summary>
/// Turns a model prepared by <see cref="QatPreparation"/> (and trained) into the standard QDQ form that static
/// quantization emits and ONNX Runtime runs: a weight's FakeQuantize becomes an integer initializer -> DequantizeLinear
/// (per channel along the output axis), an activation's becomes QuantizeLinear -> DequantizeLinear with a scalar
/// scale and a zero point of the quantized type, and the float bias of each Conv or Gemm whose input and weight are
/// both quantized becomes an int32 initializer with scale s_x·s_w and zero point 0 -> DequantizeLinear.
/// </summary>
/// <remarks>
/// Scales and integers are exactly the ones the fake quantizers used (a weight scale computed from the weights is
/// recomputed the same way), so the QDQ model computes what the trained model did, up to the bias rounding and the
/// order of float operations.
/// </remarks>
public static class QatExport
{
    /// <summary>A new graph: <paramref name="graph"/> (unchanged) with every FakeQuantize replaced by standard ops.</summary>
    public static ModelGraph ToQdq(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var g = graph.Clone();
        var editor = new GraphEditor(g);
        var activation = new Dictionary<string, float>(StringComparer.Ordinal);        // DQ output -> its scale
        var zeroPoints = new Dictionary<string, QuantizedType>(StringComparer.Ordinal); // converted zero points
        var weights = new Dictionary<string, (float[] Scales, int Axis)>(StringComparer.Ordinal); // DQ output -> its scales
        bool fourBits = false;
        foreach (var fq in g.Nodes.Where(IsFakeQuantize).ToList())
        {
            if (editor.Initializer(fq.Inputs[0]) is { Type: DataType.Float32 } w)
                fourBits |= ExportWeight(editor, fq, w, weights);
            else ExportActivation(editor, fq, activation, zeroPoints);
        }
        foreach (var node in g.Nodes.ToList())
            if (node.Domain is "" or "ai.onnx" && node.OpType is "Conv" or "Gemm") QuantizeBias(editor, node, activation, weights);
        editor.Commit();
        if (g.Nodes.Any(IsFakeQuantize)) throw new InvalidOperationException("a FakeQuantize node was left in the exported graph");
        if (!g.Nodes.Any(n => n.Domain == PrunusDomain.Name)) g.Metadata.Opsets.Remove(PrunusDomain.Name);
        if (fourBits) OpsetUpgrade.To21(g);
        else if (g.Metadata.Opset < 13)
            throw new ModelException($"model '{g.Name}' uses opset {g.Metadata.Opset}; per-channel DequantizeLinear needs opset 13 or newer (re-export the model)");
        new UnusedInitializerRemovalPass().Apply(g);
        return g;
    }

    private static bool IsFakeQuantize(Node n) => n.OpType == "FakeQuantize" && n.Domain == PrunusDomain.Name;

    private static (int Min, int Max) Grid(Node fq) =>
        ((int)(fq.Attributes.GetValueOrDefault("qmin")?.Int ?? -128), (int)(fq.Attributes.GetValueOrDefault("qmax")?.Int ?? 127));

    /// <summary>The smallest ONNX integer type that holds [min, max].</summary>
    private static QuantizedType TypeFor(Node fq, int min, int max) => (min, max) switch
    {
        ( >= -8, <= 7) when min < 0 => QuantizedType.Int4,
        ( >= 0, <= 15) => QuantizedType.UInt4,
        ( >= -128, <= 127) => QuantizedType.Int8,
        ( >= 0, <= 255) => QuantizedType.UInt8,
        _ => throw new ModelException($"FakeQuantize node '{fq.Name}': the grid [{min}, {max}] fits no 8- or 4-bit integer type"),
    };

    /// <summary>Values of a 1-element or per-channel float input, or null when absent.</summary>
    private static float[]? Values(GraphEditor editor, Node fq, int input) => fq.InputOrNull(input) is { } name
        ? (editor.Initializer(name) ?? throw new ModelException($"FakeQuantize node '{fq.Name}': input '{name}' must be an initializer to export")).Floats.ToArray()
        : null;

    private static bool ExportWeight(GraphEditor editor, Node fq, Tensor w, Dictionary<string, (float[], int)> weights)
    {
        var (qmin, qmax) = Grid(fq);
        var type = TypeFor(fq, qmin, qmax);
        int axis = (int)(fq.Attributes.GetValueOrDefault("axis")?.Int ?? 1);
        if (axis < 0) axis += w.Rank;
        var scales = Values(editor, fq, 1);
        bool perChannel = scales is { Length: > 1 } || scales is null && fq.Attributes.GetValueOrDefault("per_channel")?.Int is 1;
        int channels = perChannel ? w.Shape[axis] : 1;
        int inner = perChannel ? ShapeMath.Size(w.Shape[(axis + 1)..]) : Math.Max(1, w.Length);
        if (scales is null)
        {
            // The scale the kernel computes from the weights: max |w| per channel over / qmax.
            var max = new float[channels];
            var x = w.Floats;
            for (int start = 0; start < x.Length; start += inner)
            {
                int c = start / inner % channels;
                max[c] = MathF.Max(max[c], FakeQuant.MaxAbs(x.Slice(start, inner)));
            }
            scales = max.Select(m => FakeQuant.SymmetricScale(m, qmax)).ToArray();
        }
        // The quantizer's step is |scale| (see FakeQuantizeOp).
        for (int c = 0; c < scales.Length; c++)
        {
            scales[c] = MathF.Abs(scales[c]);
            if (!(scales[c] > 0) || !float.IsFinite(scales[c])) throw new ModelException($"FakeQuantize node '{fq.Name}' has scale {scales[c]}: scales must be nonzero and finite");
        }
        var zeros = Values(editor, fq, 2) ?? new float[scales.Length];
        var q = Tensor.Zeros(BlockedWeights.StorageOf(type), (int[])w.Shape.Clone());
        var src = w.Floats;
        for (int i = 0; i < src.Length; i++)
        {
            int c = perChannel ? i / inner % channels : 0;
            Set(q, i, QuantMath.Quantize(src[i], scales[c], (int)zeros[c], qmin, qmax));
        }
        var z = Tensor.Zeros(BlockedWeights.StorageOf(type), perChannel ? [channels] : []);
        for (int c = 0; c < zeros.Length; c++) Set(z, c, (int)zeros[c]);
        var name = fq.Inputs[0];
        var dq = new Node("DequantizeLinear", editor.UniqueName(name + "_DequantizeLinear"),
            [editor.AddInitializer(name + "_quantized", q), editor.AddInitializer(name + "_scale", perChannel ? Tensor.From(scales, channels) : Tensor.Scalar(scales[0])),
                editor.AddInitializer(name + "_zero_point", z)], [Replacement(editor, fq, name)]);
        if (perChannel) dq.Attributes["axis"] = AttributeValue.Of((long)axis);
        editor.Add(dq, before: fq);
        weights[dq.Outputs[0]] = (scales, axis);
        return type.Bits() == 4;
    }

    /// <summary>
    /// Removes <paramref name="fq"/> and returns the name its replacement writes: a graph output keeps its name,
    /// any other value becomes <paramref name="stem"/>_dequantized, read by the quantizer's former readers.
    /// </summary>
    private static string Replacement(GraphEditor editor, Node fq, string stem)
    {
        var output = fq.Outputs[0];
        editor.Remove(fq);
        if (editor.IsGraphOutput(output)) return output;
        var name = editor.UniqueName(stem + "_dequantized");
        editor.ReplaceUses(output, name);
        return name;
    }

    private static void ExportActivation(GraphEditor editor, Node fq, Dictionary<string, float> activation, Dictionary<string, QuantizedType> zeroPoints)
    {
        var (qmin, qmax) = Grid(fq);
        var type = TypeFor(fq, qmin, qmax);
        if (type.Bits() != 8) throw new ModelException($"FakeQuantize node '{fq.Name}': activations export as 8-bit integers, not on the grid [{qmin}, {qmax}]");
        var scale = Values(editor, fq, 1) ?? throw new ModelException($"FakeQuantize node '{fq.Name}': an activation quantizer needs a scale input to export");
        // A zero point shared with a quantizer exported before is already an integer scalar.
        bool converted = fq.InputOrNull(2) is { } shared && zeroPoints.ContainsKey(shared);
        var zero = converted ? [(float)editor.Initializer(fq.Inputs[2])!.GetAsDouble(0)] : Values(editor, fq, 2) ?? [0f];
        if (scale.Length != 1) throw new ModelException($"FakeQuantize node '{fq.Name}': activations have one scale, got {scale.Length}");
        scale[0] = MathF.Abs(scale[0]); // the quantizer's step is |scale|
        if (!(scale[0] > 0) || !float.IsFinite(scale[0])) throw new ModelException($"FakeQuantize node '{fq.Name}' has scale {scale[0]}: scales must be nonzero and finite");
        if (zero[0] != MathF.Round(zero[0]) || zero[0] < type.Min() || zero[0] > type.Max())
            throw new ModelException($"FakeQuantize node '{fq.Name}': zero point {zero[0]} is not an integer of {type.Name()}");
        // The exported grid is the type's: a narrower [qmin, qmax] could only be kept by a Clip the QDQ form lacks.
        if (qmin != type.Min() || qmax != type.Max())
            throw new ModelException($"FakeQuantize node '{fq.Name}': activations export on the full {type.Name()} range, not [{qmin}, {qmax}]");
        // The scale stays the float scalar it is; the zero point becomes a scalar of the quantized type, once for
        // all the quantizers that share it.
        var stem = fq.Inputs[0];
        var s = fq.Inputs[1];
        editor.Graph.Initializers[s] = Tensor.Scalar(scale[0]);
        string zp;
        if (fq.InputOrNull(2) is not { } zName) zp = editor.AddInitializer(stem + "_zero_point", Tensor.Zeros(BlockedWeights.StorageOf(type)));
        else if (zeroPoints.TryGetValue(zName, out var done))
        {
            if (done != type) throw new ModelException($"FakeQuantize node '{fq.Name}' shares zero point '{zName}' with a quantizer of another type");
            zp = zName;
        }
        else
        {
            var z = Tensor.Zeros(BlockedWeights.StorageOf(type));
            Set(z, 0, (int)zero[0]);
            editor.Graph.Initializers[zName] = z;
            zeroPoints[zName] = type;
            zp = zName;
        }
        var quantized = editor.UniqueName(stem + "_QuantizeLinear_Output");
        var q = new Node("QuantizeLinear", editor.UniqueName(stem + "_QuantizeLinear"), [stem, s, zp], [quantized]);
        var dq = new Node("DequantizeLinear", editor.UniqueName(stem + "_DequantizeLinear"), [quantized, s, zp], [Replacement(editor, fq, stem)]);
        editor.Add(q, before: fq);
        editor.Add(dq, before: fq);
        activation[dq.Outputs[0]] = scale[0];
    }

    /// <summary>The bias of a Conv or Gemm whose input and weight are dequantized: int32 with scale s_x·s_w, zero point 0.</summary>
    private static void QuantizeBias(GraphEditor editor, Node node, Dictionary<string, float> activation, Dictionary<string, (float[] Scales, int Axis)> weights)
    {
        if (node.InputOrNull(2) is not { } b || editor.Initializer(b) is not { Type: DataType.Float32, Rank: 1 } bias) return;
        if (!activation.TryGetValue(node.Inputs[0], out var sx) || !weights.TryGetValue(node.Inputs[1], out var w)) return;
        if (node.OpType == "Gemm")
        {
            // Gemm's C is a bias of the outputs only as beta C with beta 1, along the output features.
            if ((node.Attributes.GetValueOrDefault("beta")?.Float ?? 1f) != 1f || node.Attributes.GetValueOrDefault("transA")?.Int is 1) return;
            bool transB = node.Attributes.GetValueOrDefault("transB")?.Int is 1;
            if (w.Scales.Length > 1 && w.Axis != (transB ? 0 : 1)) return;
        }
        else if (w.Scales.Length > 1 && w.Axis != 0) return;
        int n = bias.Length;
        if (w.Scales.Length != 1 && w.Scales.Length != n) return;
        bool perChannel = w.Scales.Length > 1;
        var scales = new float[perChannel ? n : 1];
        for (int c = 0; c < scales.Length; c++) scales[c] = sx * w.Scales[c];
        var q = Tensor.Zeros(DataType.Int32, n);
        for (int c = 0; c < n; c++) q.Span<int>()[c] = QuantMath.QuantizeInt32(bias.Floats[c], scales[perChannel ? c : 0]);
        var dq = new Node("DequantizeLinear", editor.UniqueName(b + "_DequantizeLinear"),
            [editor.AddInitializer(b + "_quantized", q), editor.AddInitializer(b + "_scale", perChannel ? Tensor.From(scales, n) : Tensor.Scalar(scales[0])),
                editor.AddInitializer(b + "_zero_point", Tensor.Zeros(DataType.Int32, perChannel ? [n] : []))],
            [editor.UniqueName(b + "_dequantized")]);
        if (perChannel) dq.Attributes["axis"] = AttributeValue.Of(0L);
        editor.Add(dq, before: node);
        editor.SetInput(node, 2, dq.Outputs[0]);
    }

    private static void Set(Tensor t, int index, int value)
    {
        if (t.Storage.GetType() == typeof(sbyte[])) t.Span<sbyte>()[index] = checked((sbyte)value);
        else t.Span<byte>()[index] = checked((byte)value);
    }
}
