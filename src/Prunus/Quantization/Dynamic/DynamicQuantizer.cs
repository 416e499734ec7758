using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Pruning;
using Prunus.Quantization.Observers;
using Prunus.Quantization.Static;
using Prunus.Tensors;

namespace Prunus.Quantization.Dynamic;

/// <summary>What dynamic quantization does: int8 weights (per output column by default), activations quantized at run time.</summary>
public sealed record DynamicQuantizationOptions
{
    /// <summary>
    /// Weights: int8 symmetric per channel (one scale per output column) in 7 bits by default, so that ONNX Runtime's
    /// MatMulInteger on CPUs without VNNI computes exact sums (see <see cref="Static.StaticQuantizationOptions"/>).
    /// </summary>
    public QuantizationSpec Weights { get; init; } = QuantizationSpec.DefaultWeights with { ReduceRange = true };
    /// <summary>How weight ranges are chosen.</summary>
    public WeightRangeMethod WeightRange { get; init; } = WeightRangeMethod.MinMax;
    /// <summary>Layers (node or weight names) kept in float.</summary>
    public IReadOnlyCollection<string> Exclude { get; init; } = [];

    /// <summary>Throws with a message naming the bad value.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Weights);
        if (Weights.Type.Bits() != 8) throw new ArgumentException($"dynamic quantization stores 8-bit weights, not {Weights.Type.Name()}");
    }
}

/// <summary>What dynamic quantization produced.</summary>
/// <param name="Graph">The quantized model (standard ONNX).</param>
/// <param name="Layers">Per Gemm/MatMul: quantized or kept in float, and why.</param>
public sealed record DynamicQuantizationResult(ModelGraph Graph, IReadOnlyList<LayerDecision> Layers);

/// <summary>
/// Dynamic quantization of Gemm and MatMul as ONNX Runtime's dynamic quantizer writes it: the activation x is
/// quantized at run time, DynamicQuantizeLinear(x) -> (x_q uint8, s_x, zp_x); the weight is an int8 initializer W_q
/// [K_in, N_out] with scales s_w; MatMulInteger(x_q, W_q, zp_x, zp_w) gives int32 sums, Cast to float, Mul by
/// s_x · s_w, and Add the float bias. Conv stays float (its dynamic form is ConvInteger, not produced here).
/// </summary>
public static class DynamicQuantizer
{
    /// <summary>Quantizes the Gemm and MatMul layers of a copy of <paramref name="graph"/> (which is not changed).</summary>
    public static DynamicQuantizationResult Quantize(ModelGraph graph, DynamicQuantizationOptions options)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        var g = PassPipeline.ForExport.Optimize(graph);
        IReadOnlyList<PrunableLayer> layers;
        try { layers = PrunableLayers.Find(g, options.Exclude); }
        catch (ArgumentException e) { throw new ArgumentException(e.Message.Replace("prunable", "quantizable", StringComparison.Ordinal), e); }
        var decisions = new List<LayerDecision>();
        var editor = new GraphEditor(g);
        var quantizedInputs = new Dictionary<string, (string Q, string Scale, string Zero)>(StringComparer.Ordinal);
        foreach (var l in layers)
        {
            if (l.Kind == LayerKind.Conv)
            {
                decisions.Add(new LayerDecision(l.Name, "Conv", l.Size, false, "kept in float (dynamic quantization covers Gemm and MatMul)"));
                continue;
            }
            if (Unsupported(g, l) is { } why)
            {
                decisions.Add(new LayerDecision(l.Name, l.Node.OpType, l.Size, false, $"kept in float ({why})"));
                continue;
            }
            if (g.Metadata.Opset < 11)
                throw new ModelException($"model '{g.Name}' uses ONNX opset {g.Metadata.Opset}; DynamicQuantizeLinear needs opset 11 or newer: re-export the model with a newer opset");
            Rewrite(g, editor, l, options, quantizedInputs);
            decisions.Add(new LayerDecision(l.Name, l.Node.OpType, l.Size, true,
                $"{options.Weights.Type.Name()} {(options.Weights.Granularity == ScaleGranularity.PerChannel ? "per-column" : "per-tensor")} weights, MatMulInteger"));
        }
        if (!decisions.Any(d => d.Quantized))
            throw layers.Count == 0 ? StaticQuantizer.NothingToQuantize(graph)
                : new ModelException($"model '{graph.Name}' has no Gemm or MatMul that dynamic quantization can take ({string.Join("; ", decisions.Select(d => $"{d.Name}: {d.Reason}"))}); try --mode static");
        editor.Commit();
        var live = new HashSet<string>(g.Nodes.SelectMany(n => n.Inputs), StringComparer.Ordinal);
        foreach (var name in g.Initializers.Keys.Where(k => !live.Contains(k)).ToList())
        {
            g.Initializers.Remove(name);
            g.Inputs.RemoveAll(i => i.Name == name);
        }
        g.Metadata.Properties["prunus.quantization"] = "dynamic";
        return new DynamicQuantizationResult(g, decisions);
    }

    /// <summary>Why a Gemm or MatMul cannot take the dynamic form, or null when it can.</summary>
    private static string? Unsupported(ModelGraph g, PrunableLayer l)
    {
        var n = l.Node;
        if (g.Nodes.Count(x => x.Inputs.Contains(l.WeightName)) > 1) return "its weight is shared with another node";
        if (l.Kind != LayerKind.Gemm) return null;
        float alpha = n.Attributes.GetValueOrDefault("alpha")?.Float ?? 1f, beta = n.Attributes.GetValueOrDefault("beta")?.Float ?? 1f;
        if (n.Attributes.GetValueOrDefault("transA")?.Int is { } t && t != 0) return "Gemm with transA";
        if (alpha != 1f) return "Gemm with alpha other than 1";
        if (n.InputOrNull(2) is not null && beta != 1f) return "Gemm with beta other than 1";
        return null;
    }

    private static void Rewrite(ModelGraph g, GraphEditor editor, PrunableLayer l, DynamicQuantizationOptions options,
        Dictionary<string, (string Q, string Scale, string Zero)> quantizedInputs)
    {
        var node = l.Node;
        string x = node.Inputs[0], y = node.Outputs[0], stem = node.Name.Length > 0 ? node.Name : l.WeightName;
        // The weight as MatMulInteger's B: [K_in, N_out] (a Gemm with transB stores it [N_out, K_in]).
        var w = g.Initializers[l.WeightName];
        var kn = l.Transposed ? w : Transpose(w);
        var p = WeightRanges.Parameters(kn, options.Weights, axis: 1, options.WeightRange);
        var wq = editor.AddInitializer($"{l.WeightName}_quantized", QuantMath.QuantizeTensor(kn, p, options.Weights.QMin, options.Weights.QMax));
        var ws = editor.AddInitializer($"{l.WeightName}_scale", p.ScaleTensor());
        var wz = editor.AddInitializer($"{l.WeightName}_zero_point", p.ZeroPointTensor());

        if (!quantizedInputs.TryGetValue(x, out var xq))
        {
            xq = (editor.UniqueName($"{x}_quantized"), editor.UniqueName($"{x}_scale"), editor.UniqueName($"{x}_zero_point"));
            editor.Add(new Node("DynamicQuantizeLinear", editor.UniqueName($"{x}_QuantizeLinear"), [x], [xq.Q, xq.Scale, xq.Zero]), node);
            quantizedInputs[x] = xq;
        }
        var sums = editor.UniqueName($"{y}_output_quantized");
        var floats = editor.UniqueName($"{y}_output_quantized_cast_output");
        var scales = editor.UniqueName($"{stem}_scales_mul_output");
        var bias = node.InputOrNull(2);
        var product = bias is null ? y : editor.UniqueName($"{y}_output_quantized_mul_output");
        editor.Remove(node);
        editor.Add(new Node("MatMulInteger", editor.UniqueName($"{stem}_quant"), [xq.Q, wq, xq.Zero, wz], [sums]), node);
        editor.Add(new Node("Cast", editor.UniqueName($"{stem}_output_quantized_cast"), [sums], [floats]).With("to", AttributeValue.Of((long)DataType.Float32)), node);
        editor.Add(new Node("Mul", editor.UniqueName($"{stem}_scales_mul"), [xq.Scale, ws], [scales]), node);
        editor.Add(new Node("Mul", editor.UniqueName($"{stem}_output_quantized_mul"), [floats, scales], [product]), node);
        if (bias is not null) editor.Add(new Node("Add", editor.UniqueName($"{stem}_bias_add"), [product, bias], [y]), node);
    }

    private static Tensor Transpose(Tensor w)
    {
        int rows = w.Shape[0], cols = w.Shape[1];
        var t = Tensor.Zeros(cols, rows);
        var src = w.Floats;
        var dst = t.Floats;
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) dst[c * rows + r] = src[r * cols + c];
        return t;
    }
}
