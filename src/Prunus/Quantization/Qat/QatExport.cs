using Prunus.Graph;
using Prunus.Graph.Ops;
using Prunus.Graph.Passes;
using Prunus.Kernels;
using Prunus.Quantization.Static;
using Prunus.Quantization.WeightOnly;
using Prunus.Tensors;

namespace Prunus.Quantization.Qat;

/// <summary>
/// Turns a model prepared by <see cref="QatPreparation"/> (and trained) into the QDQ file static quantization writes
/// (<see cref="QdqInsertion"/>, in ONNX Runtime's format): the fake quantizers are taken out, leaving the trained float
/// model, and their scales and zero points become the parameters of the QuantizeLinear -> DequantizeLinear pairs of
/// the activations and of the integer weights; biases become int32 with scale s_x·s_w.
/// </summary>
/// <remarks>
/// Scales and integers are exactly the ones the fake quantizers used (a weight scale computed from the weights is
/// recomputed the same way, and a learned one is taken as its magnitude, which is what the quantizer uses), so the
/// QDQ model computes what the trained model did, up to the int32 rounding of biases and the order of float
/// operations. 4-bit weights are stored as INT4 (opset 21).
/// </remarks>
public static class QatExport
{
    /// <summary>The QDQ form of <paramref name="graph"/> (unchanged), a model made by <see cref="QatPreparation"/>.</summary>
    public static ModelGraph ToQdq(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var g = graph.Clone();
        var editor = new GraphEditor(g);
        var byTensor = new Dictionary<string, QuantizationParameters>(StringComparer.Ordinal);
        var weights = new Dictionary<string, QuantizationParameters>(StringComparer.Ordinal);
        (int Min, int Max)? grid = null;
        foreach (var fq in g.Nodes.Where(IsFakeQuantize).ToList())
        {
            var x = fq.Inputs[0];
            var (qmin, qmax) = Grid(fq);
            if (editor.Initializer(x) is { Type: DataType.Float32 } w)
            {
                if (grid is { } seen && seen != (qmin, qmax))
                    throw new ModelException($"FakeQuantize node '{fq.Name}' quantizes its weight to [{qmin}, {qmax}], another weight to [{seen.Min}, {seen.Max}]: the QDQ form has one weight range");
                grid = (qmin, qmax);
                weights[x] = WeightParameters(editor, fq, w, qmin, qmax);
            }
            // A graph output's quantizer hands its name back to the producer: the parameters go with that name.
            else byTensor[editor.IsGraphOutput(fq.Outputs[0]) ? fq.Outputs[0] : x] = ActivationParameters(editor, fq, qmin, qmax);
            // Out of the graph: readers of the quantizer read its input (a graph output keeps its name).
            if (!editor.Bypass(fq, x)) throw new ModelException($"FakeQuantize node '{fq.Name}' cannot be taken out of the graph: its output '{fq.Outputs[0]}' is also its input's name elsewhere");
        }
        editor.Commit();
        if (grid is not { } levels) throw new ArgumentException($"model '{graph.Name}' has no fake-quantized weights: prepare it with QatPreparation first");
        new UnusedInitializerRemovalPass().Apply(g);
        if (!g.Nodes.Any(n => n.Domain == PrunusDomain.Name)) g.Metadata.Opsets.Remove(PrunusDomain.Name);

        var all = QuantizableLayer.Find(g);
        var layers = all.Where(l => weights.ContainsKey(l.Layer.WeightName)).ToList();
        if (layers.Count != weights.Count)
            throw new ModelException($"fake-quantized weights {string.Join(", ", weights.Keys.Except(layers.Select(l => l.Layer.WeightName)).Select(n => $"'{n}'"))} do not feed a quantizable layer");
        // The same layout as the preparation's: the parameters of every quantized tensor go to its source (the
        // quantizers of a pass-through chain share the source's scale and zero point).
        var layout = new QdqLayout(g, all);
        bool outputs = g.Outputs.Any(o => byTensor.ContainsKey(o.Name));
        var activations = new Dictionary<string, QuantizationParameters>(StringComparer.Ordinal);
        foreach (var (tensor, source) in layout.Points(layers, outputs))
        {
            if (!byTensor.TryGetValue(tensor, out var p))
                throw new ModelException($"activation '{tensor}' is not fake-quantized: the model was not prepared by QatPreparation");
            activations[source] = p;
        }
        var spec = WeightSpec(levels);
        var model = QdqInsertion.Apply(g, layout, layers, activations, layers.ToDictionary(l => l, l => weights[l.Layer.WeightName]), spec, graphOutputs: outputs);
        var q = model.Graph;
        q.Metadata.Properties["prunus.quantization"] = "quantization-aware training, qdq";
        if (spec.Type.Bits() == 4) OpsetUpgrade.To21(q);
        return q;
    }

    private static bool IsFakeQuantize(Node n) => n.OpType == "FakeQuantize" && n.Domain == PrunusDomain.Name;

    private static (int Min, int Max) Grid(Node fq) =>
        ((int)(fq.Attributes.GetValueOrDefault("qmin")?.Int ?? -128), (int)(fq.Attributes.GetValueOrDefault("qmax")?.Int ?? 127));

    /// <summary>The symmetric signed weight spec whose levels are [min, max]: int8 or int4, full or reduced range.</summary>
    private static QuantizationSpec WeightSpec((int Min, int Max) levels)
    {
        foreach (var type in new[] { QuantizedType.Int8, QuantizedType.Int4 })
            foreach (var reduce in new[] { false, true })
            {
                var spec = new QuantizationSpec(type, true, ScaleGranularity.PerChannel, reduce);
                if (spec.QMin == levels.Min && spec.QMax == levels.Max) return spec;
            }
        throw new ModelException($"weights quantized to [{levels.Min}, {levels.Max}] have no QDQ form: use int8 or int4, symmetric ([-127, 127], [-64, 64], [-7, 7] or [-4, 4])");
    }

    /// <summary>Values of an optional float input, which must be an initializer; null when absent.</summary>
    private static float[]? Values(GraphEditor editor, Node fq, int input) => fq.InputOrNull(input) is { } name
        ? (editor.Initializer(name) is { Type: DataType.Float32 } t ? t.Floats.ToArray()
            : throw new ModelException($"FakeQuantize node '{fq.Name}': input '{name}' must be a float initializer to export"))
        : null;

    /// <summary>The weight's scales: the learned ones (their magnitude), or max |w| / qmax per channel as the quantizer computes them.</summary>
    private static QuantizationParameters WeightParameters(GraphEditor editor, Node fq, Tensor w, int qmin, int qmax)
    {
        int axis = (int)(fq.Attributes.GetValueOrDefault("axis")?.Int ?? 1);
        if (axis < 0) axis += w.Rank;
        var scales = Values(editor, fq, 1);
        if (fq.InputOrNull(2) is not null && Values(editor, fq, 2)!.Any(z => z != 0))
            throw new ModelException($"FakeQuantize node '{fq.Name}': weights are quantized symmetrically (zero point 0)");
        bool perChannel = scales is { Length: > 1 } || scales is null && fq.Attributes.GetValueOrDefault("per_channel")?.Int is 1;
        if (perChannel && (axis < 0 || axis >= w.Rank)) throw new ModelException($"FakeQuantize node '{fq.Name}': axis {axis} is outside the weight {w}");
        int channels = perChannel ? w.Shape[axis] : 1;
        if (scales is null)
        {
            int inner = perChannel ? ShapeMath.Size(w.Shape[(axis + 1)..]) : Math.Max(1, w.Length);
            var max = new float[channels];
            var x = w.Floats;
            for (int start = 0; start < x.Length; start += inner)
            {
                int c = start / inner % channels;
                max[c] = MathF.Max(max[c], FakeQuant.MaxAbs(x.Slice(start, inner)));
            }
            scales = max.Select(m => FakeQuant.SymmetricScale(m, qmax)).ToArray();
        }
        scales = scales.Select(MathF.Abs).ToArray();
        var type = qmin >= -8 && qmax <= 7 ? QuantizedType.Int4 : QuantizedType.Int8;
        try { return new QuantizationParameters(scales, new int[scales.Length], type, perChannel ? axis : null); }
        catch (ArgumentException e) { throw new ModelException($"FakeQuantize node '{fq.Name}': {e.Message}", e); }
    }

    /// <summary>The activation's scale (its magnitude) and zero point, as uint8 or int8 parameters.</summary>
    private static QuantizationParameters ActivationParameters(GraphEditor editor, Node fq, int qmin, int qmax)
    {
        var type = qmin >= 0 && qmax <= 255 ? QuantizedType.UInt8 : qmin >= -128 && qmax <= 127 ? QuantizedType.Int8
            : throw new ModelException($"FakeQuantize node '{fq.Name}': activations export as 8-bit integers, not on the grid [{qmin}, {qmax}]");
        var scale = Values(editor, fq, 1) ?? throw new ModelException($"FakeQuantize node '{fq.Name}': an activation quantizer needs a scale input to export");
        var zero = Values(editor, fq, 2) ?? [0f];
        if (scale.Length != 1 || zero.Length != 1) throw new ModelException($"FakeQuantize node '{fq.Name}': activations have one scale and zero point");
        if (zero[0] != MathF.Round(zero[0])) throw new ModelException($"FakeQuantize node '{fq.Name}': zero point {zero[0]} is not an integer");
        try { return QuantizationParameters.PerTensor(MathF.Abs(scale[0]), (int)zero[0], type); }
        catch (ArgumentException e) { throw new ModelException($"FakeQuantize node '{fq.Name}': {e.Message}", e); }
    }
}
