using Prunus.Graph.Ops;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Passes;

/// <summary>
/// Lowers ONNX Runtime's QDQ format to integer execution. Rewrites, each leaving the outputs within one quantization
/// step of the reference QuantizeLinear/DequantizeLinear execution (the integer sums are exact; only the float
/// roundings differ):
/// <list type="bullet">
/// <item>DQ(x_q) → Conv/Gemm/MatMul(·, DQ(W_q constant), bias) → [Relu | Clip] → Q becomes one
/// <see cref="QLinearFusedConvOp"/> or <see cref="QLinearFusedGemmOp"/> from x_q to y_q; without the Q it outputs
/// floats. The bias may be DQ(B_q int32 constant) or a float constant; weights per tensor or per output channel.</item>
/// <item>A per-tensor DQ followed by MaxPool, Flatten, Reshape, Squeeze, Unsqueeze or Identity moves below it (max and
/// reshaping commute with a positive-scale dequantization), so those run on the integers.</item>
/// <item>Q(DQ(t)) with equal scale and zero point becomes t.</item>
/// <item>A fused op whose quantized output feeds only a DQ (with its parameters) into float ops writes the dequantized
/// floats itself (Q and DQ in its epilogue).</item>
/// <item>QLinearConv, QLinearMatMul, ConvInteger and MatMulInteger with constant weights (and constant scales) run on
/// the same fused ops.</item>
/// <item>A QuantizeLinear whose only reader is a fused op (the model's input quantization) is done by that op, which
/// then reads the floats.</item>
/// </list>
/// Anything else stays as it is: the reference Q/DQ ops run it in float, so every QDQ model still runs.
/// </summary>
/// <remarks>Not export-safe: the fused ops are Prunus's own. Inference only.</remarks>
public sealed class QuantizationLoweringPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "quantization-lowering";

    /// <inheritdoc/>
    public bool ExportSafe => false;

    private static readonly HashSet<string> Movable = ["MaxPool", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity"];

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        var facts = ShapeFacts.Of(graph);
        var editor = new GraphEditor(graph);
        int count = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (editor.IsRemoved(node) || node.Domain is not ("" or "ai.onnx")) continue;
            bool done = node.OpType switch
            {
                "Conv" or "Gemm" or "MatMul" => LowerProduct(editor, facts, node),
                "QuantizeLinear" => CancelPair(editor, facts, node),
                "QLinearConv" or "QLinearMatMul" or "ConvInteger" or "MatMulInteger" => LowerStandard(editor, facts, node),
                _ when Movable.Contains(node.OpType) => SinkDequantize(editor, facts, node),
                _ => false,
            };
            if (done) count++;
        }
        foreach (var node in graph.Nodes.ToList())
        {
            if (editor.IsRemoved(node) || node.Domain != PrunusDomain.Name || node.OpType is not ("QLinearFusedConv" or "QLinearFusedGemm")) continue;
            if (DequantizeInEpilogue(editor, facts, node)) count++;
            if (QuantizeInPrologue(editor, facts, node)) count++;
        }
        editor.Commit();
        return count;
    }

    // ---- matching helpers ----

    /// <summary>A per-tensor quantization's parameters: scale value, zero point value and the quantized type.</summary>
    private readonly record struct PerTensor(float Scale, int Zero, DataType Type, string ScaleName, string? ZeroName);

    /// <summary>The DequantizeLinear producing <paramref name="value"/>, when it is one of 8-bit data with a constant per-tensor scale.</summary>
    private static Node? PerTensorDequantize(GraphEditor editor, ShapeFacts facts, string? value, out PerTensor p)
    {
        p = default;
        if (value is null || editor.Producer(value) is not { } dq || !Patterns.Is(dq, "DequantizeLinear")) return null;
        if (Parameters(facts, dq) is not { } q || dq.Attributes.ContainsKey("block_size") && dq.Attributes["block_size"].Int != 0) return null;
        p = q;
        return dq;
    }

    /// <summary>Per-tensor parameters of a Q or DQ node with 8-bit data (its data type from the zero point, or the graph's facts).</summary>
    private static PerTensor? Parameters(ShapeFacts facts, Node node)
    {
        if (node.InputOrNull(1) is not { } scaleName || facts.Constant(scaleName) is not { Type: DataType.Float32, Length: 1 } scale) return null;
        var zeroName = node.InputOrNull(2);
        int zero = 0;
        DataType type;
        if (zeroName is not null)
        {
            if (facts.Constant(zeroName) is not { Length: 1 } z || z.Type is not (DataType.UInt8 or DataType.Int8)) return null;
            zero = (int)z.GetAsDouble(0);
            type = z.Type;
        }
        else if (node.OpType == "DequantizeLinear") type = facts.Type(node.Inputs[0]) ?? DataType.Undefined;
        else type = node.Attributes.TryGetValue("output_dtype", out var dt) && dt.Int != 0 ? (DataType)dt.Int : DataType.UInt8;
        if (type is not (DataType.UInt8 or DataType.Int8)) return null;
        if (node.OpType == "DequantizeLinear" && facts.Type(node.Inputs[0]) != type) return null;
        return new PerTensor(scale.Floats[0], zero, type, scaleName, zeroName);
    }

    /// <summary>A quantized constant weight: the DequantizeLinear of an 8-bit initializer, per tensor or along <paramref name="axis"/>.</summary>
    private static (Node Dq, string Weight, string Scale, string? Zero)? WeightDequantize(GraphEditor editor, ShapeFacts facts, string? value,
        int axis, int channels)
    {
        if (value is null || editor.Producer(value) is not { } dq || !Patterns.Is(dq, "DequantizeLinear")) return null;
        if (dq.Attributes.TryGetValue("block_size", out var bs) && bs.Int != 0) return null;
        var w = dq.Inputs[0];
        if (editor.Initializer(w) is not { Type: DataType.UInt8 or DataType.Int8 } wq) return null;
        if (dq.InputOrNull(1) is not { } scaleName || facts.Constant(scaleName) is not { Type: DataType.Float32 } scale) return null;
        if (scale.Length != 1)
        {
            int dqAxis = (int)(dq.Attributes.GetValueOrDefault("axis")?.Int ?? 1);
            if (dqAxis < 0) dqAxis += wq.Rank;
            if (scale.Rank != 1 || dqAxis != axis || scale.Length != channels) return null;
        }
        var zeroName = dq.InputOrNull(2);
        if (zeroName is not null && (facts.Constant(zeroName) is not { } z || z.Type != wq.Type || z.Length != scale.Length)) return null;
        if (scale.Floats.ToArray().Any(s => !(s > 0) || float.IsInfinity(s))) return null;
        return (dq, w, scaleName, zeroName);
    }

    /// <summary>The activation a node computes, when it is one the integer output stage can clamp (Relu, Clip with constant bounds).</summary>
    private static FusedActivation? Clamp(ShapeFacts facts, Node node)
    {
        if (Patterns.Is(node, "Relu")) return new FusedActivation(ActivationKind.Relu);
        if (!Patterns.Is(node, "Clip")) return null;
        float? Bound(int input, string attribute, float unbounded)
        {
            if (node.InputOrNull(input) is { } name)
                return facts.Constant(name) is { Type: DataType.Float32, Length: 1 } t ? t.Floats[0] : null;
            return node.Attributes.GetValueOrDefault(attribute)?.Float ?? unbounded;
        }
        return Bound(1, "min", float.MinValue) is { } min && Bound(2, "max", float.MaxValue) is { } max
            ? new FusedActivation(ActivationKind.Clip, min, max) : null;
    }

    // ---- rewrites ----

    /// <summary>DQ(x) → Conv/Gemm/MatMul(·, DQ(W)) [→ Relu/Clip] [→ Q]: one fused integer op.</summary>
    private static bool LowerProduct(GraphEditor editor, ShapeFacts facts, Node op)
    {
        if (op.Outputs.Count != 1 || op.Outputs[0].Length == 0) return false;
        if (PerTensorDequantize(editor, facts, op.InputOrNull(0), out var x) is not { } dqx || !(x.Scale > 0)) return false;
        if (facts.Dims(op.Inputs[0]) is not { } xDims || op.InputOrNull(1) is not { } wValue || facts.StaticShape(wValue) is not { } wShape) return false;

        string fusedType;
        int channels, axis;
        var attributes = new Dictionary<string, AttributeValue>(StringComparer.Ordinal);
        switch (op.OpType)
        {
            case "Conv":
                if (xDims.Length is not (3 or 4) || wShape.Length != xDims.Length) return false;
                fusedType = "QLinearFusedConv";
                channels = wShape[0];
                axis = 0;
                foreach (var (k, v) in op.Attributes) attributes[k] = v;
                break;
            default:
            {
                // op(W) [K, N]: W itself, or its transpose (Gemm's transB, or a Transpose between the weight's DQ and
                // the product, as exports of transposed weights have); the quantized weight is read as stored.
                bool gemm = op.OpType == "Gemm";
                if (gemm && (op.Attributes.GetValueOrDefault("transA")?.Int ?? 0) != 0) return false;
                if (gemm && ((op.Attributes.GetValueOrDefault("alpha")?.Float ?? 1f) != 1f || (op.Attributes.GetValueOrDefault("beta")?.Float ?? 1f) != 1f)) return false;
                bool transB = gemm && (op.Attributes.GetValueOrDefault("transB")?.Int ?? 0) != 0;
                if (wShape.Length != 2 || (gemm ? xDims.Length != 2 : xDims.Length < 1)) return false;
                int n = transB ? wShape[0] : wShape[1];
                if (editor.Producer(wValue) is { } transpose && Patterns.Is(transpose, "Transpose")
                    && transpose.Attributes.GetValueOrDefault("perm")?.Ints is null or [1, 0] && editor.Producer(transpose.Inputs[0]) is { OpType: "DequantizeLinear" })
                {
                    wValue = transpose.Inputs[0];
                    transB = !transB;
                }
                fusedType = "QLinearFusedGemm";
                channels = n;
                axis = transB ? 0 : 1;
                if (transB) attributes["transB"] = AttributeValue.Of(1L);
                break;
            }
        }
        if (WeightDequantize(editor, facts, wValue, axis, channels) is not var (_, wq, wScale, wZero)) return false;

        // The bias: DQ(int32) at scale s_x s_w (used as it is), else any float constant of one value per channel.
        string bias = "";
        if (op.InputOrNull(2) is { } b)
        {
            var swValues = facts.Constant(wScale)!.Floats.ToArray();
            if (IntBias(editor, facts, b, x.Scale, swValues, channels) is { } intBias) bias = intBias;
            else if (facts.Constant(b) is { Type: DataType.Float32 } fb && fb.Length == channels)
                bias = fb.Rank == 1 ? b : editor.AddInitializer(b + "_flat", fb.Reshape(channels));
            else return false;
        }

        // The activation and the output quantization that follow, when this node is their only input; before them, the
        // Add of a per-channel bias when the node has none (ONNX Runtime's quantizer writes MatMul + Add).
        string last = op.Outputs[0];
        var removed = new List<Node> { op };
        if (bias.Length == 0 && editor.SoleConsumer(last) is { } add && Patterns.Is(add, "Add") && Patterns.Other(add, last) is { } c && c != last
            && AddedBias(editor, facts, c, x.Scale, facts.Constant(wScale)!.Floats.ToArray(), channels, op.OpType == "Conv", facts.Rank(last)) is { } absorbed)
        {
            bias = absorbed;
            removed.Add(add);
            last = add.Outputs[0];
        }
        FusedActivation activation = default;
        if (editor.SoleConsumer(last) is { } act && Clamp(facts, act) is { } a && act.Inputs[0] == last)
        {
            activation = a;
            removed.Add(act);
            last = act.Outputs[0];
        }
        string yScale = "", yZero = "", output = last;
        if (editor.SoleConsumer(last) is { } q && Patterns.Is(q, "QuantizeLinear") && q.Inputs[0] == last && Parameters(facts, q) is { } y
            && !(q.Attributes.TryGetValue("block_size", out var qb) && qb.Int != 0) && y.Scale > 0 && !float.IsInfinity(y.Scale)
            && (y.ZeroName is not null || y.Type == DataType.UInt8))
        {
            yScale = y.ScaleName;
            yZero = y.ZeroName ?? "";
            output = q.Outputs[0];
            removed.Add(q);
        }

        var inputs = new[] { dqx.Inputs[0], x.ScaleName, x.ZeroName ?? "", wq, wScale, wZero ?? "", yScale, yZero, bias };
        var fused = new Node(fusedType, op.Name, inputs, [output]) { Domain = PrunusDomain.Name, DocString = op.DocString };
        foreach (var (k, v) in attributes) fused.Attributes[k] = v;
        foreach (var (k, v) in PrunusDomain.ActivationAttributes(activation)) fused.Attributes[k] = v;
        foreach (var n in removed) editor.Remove(n);
        editor.Add(fused, before: op);
        editor.ImportPrunusDomain();
        return true;
    }

    /// <summary>
    /// The int32 bias B_q of DQ(B_q, s_b, 0) when s_b is s_x s_w (per channel where s_w is), which the integer sums take
    /// as they are; null otherwise.
    /// </summary>
    private static string? IntBias(GraphEditor editor, ShapeFacts facts, string b, float sx, float[] sw, int channels)
    {
        if (editor.Producer(b) is not { } dq || !Patterns.Is(dq, "DequantizeLinear")) return null;
        if (editor.Initializer(dq.Inputs[0]) is not { Type: DataType.Int32 } bq || bq.Length != channels) return null;
        if (dq.InputOrNull(2) is { } z && (facts.Constant(z) is not { } zt || Enumerable.Range(0, zt.Length).Any(i => zt.GetAsDouble(i) != 0))) return null;
        if (dq.InputOrNull(1) is not { } s || facts.Constant(s) is not { Type: DataType.Float32 } st || (st.Length != 1 && st.Length != channels)) return null;
        for (int o = 0; o < channels; o++)
        {
            double expected = (double)sx * sw[sw.Length == 1 ? 0 : o];
            double actual = st.Floats[st.Length == 1 ? 0 : o];
            if (Math.Abs(actual - expected) > 1e-6 * expected) return null;
        }
        return bq.Rank == 1 ? dq.Inputs[0] : editor.AddInitializer(dq.Inputs[0] + "_flat", bq.Reshape(channels));
    }

    /// <summary>
    /// The bias an Add contributes after a product without one: c of one value per output channel, broadcast along
    /// the channel axis only ([N] or [1, N] after a dense layer, [K, 1, 1] or [1, K, 1, 1] after a convolution), as
    /// DQ(int32) at scale s_x s_w or as a float constant; null otherwise.
    /// </summary>
    private static string? AddedBias(GraphEditor editor, ShapeFacts facts, string c, float sx, float[] sw, int channels, bool conv, int? rank)
    {
        if (facts.StaticShape(c) is not { } shape || rank is not { } r || shape.Length > r || ShapeMath.Size(shape) != channels) return null;
        // The channel axis of the product's output: 1 for a convolution, the last otherwise (counted from the end).
        int axisFromEnd = conv ? r - 2 : 0;
        for (int i = 0; i < shape.Length; i++)
        {
            int fromEnd = shape.Length - 1 - i;
            if (shape[i] != 1 && fromEnd != axisFromEnd) return null;
        }
        if (channels > 1 && (shape.Length <= axisFromEnd || shape[shape.Length - 1 - axisFromEnd] != channels)) return null;
        if (IntBias(editor, facts, c, sx, sw, channels) is { } intBias) return intBias;
        if (facts.Constant(c) is { Type: DataType.Float32 } fb)
            return fb.Rank == 1 && editor.Initializer(c) is not null ? c : editor.AddInitializer(c + "_flat", fb.Clone().Reshape(channels));
        return null;
    }

    /// <summary>Q(DQ(t)) with the same scale, zero point and type: t.</summary>
    private static bool CancelPair(GraphEditor editor, ShapeFacts facts, Node q)
    {
        if (q.Outputs.Count != 1 || editor.IsGraphOutput(q.Outputs[0]) || editor.IsCaptured(q.Outputs[0])) return false;
        if (PerTensorDequantize(editor, facts, q.InputOrNull(0), out var d) is not { } dq) return false;
        if (Parameters(facts, q) is not { } p || q.Attributes.ContainsKey("block_size") && q.Attributes["block_size"].Int != 0) return false;
        if (p.Scale != d.Scale || p.Zero != d.Zero || p.Type != d.Type) return false;
        editor.Remove(q);
        editor.ReplaceUses(q.Outputs[0], dq.Inputs[0]);
        return true;
    }

    /// <summary>Op(DQ(t)) → DQ(Op(t)) for ops that commute with a per-tensor dequantization of positive scale.</summary>
    private static bool SinkDequantize(GraphEditor editor, ShapeFacts facts, Node op)
    {
        if (op.Outputs.Count < 1 || op.Outputs[0].Length == 0 || op.Outputs.Skip(1).Any(o => o.Length > 0)) return false;
        if (PerTensorDequantize(editor, facts, op.InputOrNull(0), out var d) is not { } dq || !(d.Scale > 0)) return false;
        if (op.OpType == "MaxPool" && facts.Rank(dq.Inputs[0]) is not (3 or 4)) return false;
        if (editor.IsCaptured(op.Outputs[0])) return false;
        var moved = new Node(op.OpType, op.Name, op.Inputs, [editor.UniqueName(op.Outputs[0] + "_quantized")]) { Domain = op.Domain, DocString = op.DocString };
        foreach (var (k, v) in op.Attributes) moved.Attributes[k] = v;
        moved.Inputs[0] = dq.Inputs[0];
        var newDq = new Node("DequantizeLinear", editor.UniqueName(dq.Name + "_moved"), [moved.Outputs[0], .. dq.Inputs.Skip(1)], [op.Outputs[0]]);
        foreach (var (k, v) in dq.Attributes) newDq.Attributes[k] = v;
        editor.Remove(op);
        editor.Add(moved, before: op);
        editor.Add(newDq, before: op);
        return true;
    }

    /// <summary>QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger with constant weights: the fused ops.</summary>
    private static bool LowerStandard(GraphEditor editor, ShapeFacts facts, Node node)
    {
        if (node.Outputs.Count != 1) return false;
        bool conv = node.OpType is "QLinearConv" or "ConvInteger";
        bool integer = node.OpType is "ConvInteger" or "MatMulInteger";
        int wIndex = integer ? 1 : 3;
        if (editor.Initializer(node.InputOrNull(wIndex)) is not { Type: DataType.UInt8 or DataType.Int8 } w) return false;
        if (facts.Type(node.Inputs[0]) is not (DataType.UInt8 or DataType.Int8)) return false;
        if (facts.Rank(node.Inputs[0]) is not { } rank) return false;
        if (conv ? rank is not (3 or 4) || w.Rank != rank : w.Rank != 2 || rank < 1) return false;
        int channels = conv ? w.Shape[0] : w.Shape[1];
        string[] inputs;
        if (integer)
        {
            string? xz = node.InputOrNull(2), wz = node.InputOrNull(3);
            if (xz is not null && facts.Dims(xz) is not ([] or [1])) return false;
            if (wz is not null && (facts.Constant(wz) is not { } wzt || wzt.Length != 1 && wzt.Length != channels)) return false;
            inputs = [node.Inputs[0], "", xz ?? "", node.Inputs[1], "", wz ?? "", "", "", ""];
        }
        else
        {
            // Scales, zero points and bias must be constants: per tensor for x and y, per tensor or channel for w.
            for (int i = 1; i < Math.Min(node.Inputs.Count, 9); i++)
            {
                if (i == wIndex || node.InputOrNull(i) is not { } name) continue;
                if (facts.Constant(name) is not { } t) return false;
                bool perChannel = i is 4 or 5 or 8;
                if (t.Length != 1 && !(perChannel && t.Rank == 1 && t.Length == channels)) return false;
            }
            if (node.InputOrNull(1) is null || node.InputOrNull(6) is null || node.InputOrNull(4) is null) return false;
            inputs = [.. node.Inputs.Take(9)];
            if (inputs.Length < 9) inputs = [.. inputs, .. Enumerable.Repeat("", 9 - inputs.Length)];
            if (!conv) inputs[8] = "";
        }
        var fused = new Node(conv ? "QLinearFusedConv" : "QLinearFusedGemm", node.Name, inputs, node.Outputs) { Domain = PrunusDomain.Name, DocString = node.DocString };
        if (conv) foreach (var (k, v) in node.Attributes) fused.Attributes[k] = v;
        editor.Remove(node);
        editor.Add(fused, before: node);
        editor.ImportPrunusDomain();
        return true;
    }

    /// <summary>A fused op whose 8-bit input comes from a QuantizeLinear of the same parameters read by nothing else: quantize inside.</summary>
    private static bool QuantizeInPrologue(GraphEditor editor, ShapeFacts facts, Node fused)
    {
        if (fused.Attributes.ContainsKey(QLinearFused.QuantizeInputAttribute) || fused.InputOrNull(QLinearFused.XScale) is not { } xs) return false;
        var x = fused.Inputs[QLinearFused.X];
        if (editor.SoleConsumer(x) is not { } reader || reader != fused || editor.Producer(x) is not { } q) return false;
        // A reshaping op between them (the input's Q -> Flatten -> first Gemm of an MLP): the op moves onto the floats.
        Node? reshape = null;
        if (q.Domain is "" or "ai.onnx" && q.OpType != "MaxPool" && Movable.Contains(q.OpType) && editor.SoleConsumer(q.Inputs[0]) == q
            && editor.Producer(q.Inputs[0]) is { } inner)
            (reshape, q) = (q, inner);
        if (!Patterns.Is(q, "QuantizeLinear")) return false;
        if (facts.Type(q.Inputs[0]) != DataType.Float32 || q.Attributes.ContainsKey("block_size") && q.Attributes["block_size"].Int != 0) return false;
        if (Parameters(facts, q) is not { } p || facts.Constant(xs) is not { Length: 1 } xst || xst.Floats[0] != p.Scale) return false;
        int zx = fused.InputOrNull(QLinearFused.XZero) is { } xz && facts.Constant(xz) is { } xzt ? (int)xzt.GetAsDouble(0) : 0;
        var xType = fused.InputOrNull(QLinearFused.XZero) is { } xz2 ? facts.Type(xz2) : DataType.UInt8;
        if (zx != p.Zero || xType != p.Type) return false;
        editor.Remove(q);
        if (reshape is null) editor.SetInput(fused, QLinearFused.X, q.Inputs[0]);
        else
        {
            // The reshaped value changes type (8-bit to float): a fresh name, so no recorded type of the old one applies.
            var floats = editor.UniqueName(x + "_float");
            editor.SetInput(reshape, 0, q.Inputs[0]);
            editor.SetOutput(reshape, 0, floats);
            editor.SetInput(fused, QLinearFused.X, floats);
        }
        fused.Attributes[QLinearFused.QuantizeInputAttribute] = AttributeValue.Of(1L);
        return true;
    }

    /// <summary>Ops whose DQ input the other rewrites may still want: a DQ feeding one of these keeps its integer input.</summary>
    private static readonly HashSet<string> IntegerReaders =
        ["Conv", "Gemm", "MatMul", "QuantizeLinear", "MaxPool", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Identity"];

    /// <summary>A fused op with a quantized output read only by a DQ of the same parameters that feeds float ops: output those floats.</summary>
    private static bool DequantizeInEpilogue(GraphEditor editor, ShapeFacts facts, Node fused)
    {
        if (fused.InputOrNull(QLinearFused.YScale) is not { } ys || fused.Attributes.ContainsKey(QLinearFused.DequantizeAttribute)) return false;
        if (editor.SoleConsumer(fused.Outputs[0]) is not { } dq || !Patterns.Is(dq, "DequantizeLinear") || dq.Inputs[0] != fused.Outputs[0]) return false;
        if (Parameters(facts, dq) is not { } d || facts.Constant(ys) is not { } yst || yst.Floats[0] != d.Scale) return false;
        int zy = fused.InputOrNull(QLinearFused.YZero) is { } yz && facts.Constant(yz) is { } yzt ? (int)yzt.GetAsDouble(0) : 0;
        if (zy != d.Zero) return false;
        if (editor.Consumers(dq.Outputs[0]).Any(c => c.Domain is "" or "ai.onnx" && IntegerReaders.Contains(c.OpType))) return false;
        editor.Remove(dq);
        editor.SetOutput(fused, 0, dq.Outputs[0]);
        fused.Attributes[QLinearFused.DequantizeAttribute] = AttributeValue.Of(1L);
        return true;
    }
}
