using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Tensors;

namespace Prunus.Quantization.Static;

/// <summary>
/// The graph pass of static quantization: writes a copy of a float graph in ONNX Runtime's QDQ format. Each quantized
/// activation x becomes QuantizeLinear(x, s, zp) -> DequantizeLinear(., s, zp), read by all of x's consumers (a graph
/// output keeps its name: the DequantizeLinear writes it). Each quantized layer's weight becomes an int8 initializer
/// W_quantized -> DequantizeLinear(W_quantized, s_w, zp_w [, axis]) and its bias an int32 initializer with scale
/// s_x · s_w and zero point 0. Names follow ONNX Runtime's quantizer (x_QuantizeLinear, x_scale, W_quantized, ...).
/// </summary>
public static class QdqInsertion
{
    /// <summary>
    /// The QDQ form of <paramref name="graph"/> with <paramref name="quantized"/> layers of <paramref name="layout"/>
    /// quantized: activations by their source tensor's parameters in <paramref name="activations"/>, weights by
    /// <paramref name="weights"/> (saturated to <paramref name="weightSpec"/>'s range). <paramref name="biases"/> may
    /// give a layer's float bias in place of its initializer (bias correction); without <paramref name="graphOutputs"/>
    /// the model's outputs stay float. <paramref name="graph"/> is not changed.
    /// </summary>
    public static QdqModel Apply(ModelGraph graph, QdqLayout layout, IReadOnlyCollection<QuantizableLayer> quantized,
        IReadOnlyDictionary<string, QuantizationParameters> activations, IReadOnlyDictionary<QuantizableLayer, QuantizationParameters> weights,
        QuantizationSpec weightSpec, IReadOnlyDictionary<QuantizableLayer, float[]>? biases = null, bool graphOutputs = true)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(layout);
        ArgumentNullException.ThrowIfNull(quantized);
        ArgumentNullException.ThrowIfNull(activations);
        ArgumentNullException.ThrowIfNull(weights);
        ArgumentNullException.ThrowIfNull(weightSpec);
        var g = graph.Clone();
        var map = new Dictionary<Node, Node>();
        for (int i = 0; i < graph.Nodes.Count; i++) map[graph.Nodes[i]] = g.Nodes[i];
        var points = layout.Points(quantized, graphOutputs);
        CheckOpset(g, weights.Where(kv => quantized.Contains(kv.Key)).Any(kv => kv.Value.PerChannel));
        var editor = new GraphEditor(g);

        // Activations, in graph order: data inputs first, then node outputs as they are produced.
        var order = g.DataInputs.Select(i => i.Name).Concat(graph.Nodes.SelectMany(n => n.Outputs)).Where(points.ContainsKey).Distinct().ToList();
        foreach (var t in order)
        {
            var source = points[t];
            if (!activations.TryGetValue(source, out var p)) throw new ArgumentException($"no calibrated parameters for activation '{source}'");
            if (p.PerChannel) throw new ArgumentException($"activation '{t}' must have per-tensor parameters");
            QuantizeActivation(g, editor, t, p);
        }

        var nodes = new Dictionary<QuantizableLayer, Node>();
        var quantizedBiases = new Dictionary<QuantizableLayer, QuantizedBias>();
        foreach (var layer in quantized)
        {
            var node = map[layer.Node];
            nodes[layer] = node;
            if (!weights.TryGetValue(layer, out var wp)) throw new ArgumentException($"no weight parameters for {layer}");
            if (wp.PerChannel && wp.Axis != layer.WeightAxis) throw new ArgumentException($"{layer}: per-channel weight scales must run along axis {layer.WeightAxis}, not {wp.Axis}");
            QuantizeWeight(g, editor, node, layer.Layer.WeightName, wp, weightSpec);
            if (layer.Bias is { } b)
            {
                var xp = activations[points[layer.Input]];
                var values = biases is not null && biases.TryGetValue(layer, out var v) ? v : g.Initializers[b].Floats.ToArray();
                quantizedBiases[layer] = QuantizeBias(g, editor, node, b, values, xp.Scale, wp);
            }
        }
        editor.Commit();
        var live = new HashSet<string>(g.Nodes.SelectMany(n => n.Inputs), StringComparer.Ordinal);
        foreach (var name in g.Initializers.Keys.Where(k => !live.Contains(k) && g.Outputs.All(o => o.Name != k)).ToList())
        {
            g.Initializers.Remove(name);
            g.Inputs.RemoveAll(i => i.Name == name);
        }
        g.Metadata.Properties["prunus.quantization"] = "static qdq";
        return new QdqModel(g, nodes, quantizedBiases, points);
    }

    /// <summary>QuantizeLinear needs opset 10, its per-channel axis 13.</summary>
    private static void CheckOpset(ModelGraph g, bool perChannel)
    {
        long opset = g.Metadata.Opset, need = perChannel ? 13 : 10;
        if (opset < need)
            throw new ModelException($"model '{g.Name}' uses ONNX opset {opset}; QDQ quantization{(perChannel ? " with per-channel weights" : "")} needs opset {need} or newer: " +
                (perChannel ? "use per-tensor weights or " : "") + "re-export the model with a newer opset");
    }

    private static Node? After(ModelGraph g, Node? producer)
    {
        if (producer is null) return g.Nodes.Count > 0 ? g.Nodes[0] : null;
        int i = g.Nodes.IndexOf(producer);
        return i + 1 < g.Nodes.Count ? g.Nodes[i + 1] : null;
    }

    private static void QuantizeActivation(ModelGraph g, GraphEditor editor, string t, QuantizationParameters p)
    {
        var scale = editor.AddInitializer($"{t}_scale", p.ScaleTensor());
        var zero = editor.AddInitializer($"{t}_zero_point", p.ZeroPointTensor());
        var qOut = editor.UniqueName($"{t}_QuantizeLinear_Output");
        var producer = editor.Producer(t);
        var next = After(g, producer);
        string qIn, dqOut;
        if (editor.IsGraphOutput(t) && producer is not null)
        {
            // The graph output keeps its name: the producer writes a new one, which the QuantizeLinear reads.
            qIn = editor.UniqueName($"{t}_QuantizeLinear_Input");
            editor.SetOutput(producer, producer.Outputs.IndexOf(t), qIn);
            dqOut = t;
        }
        else
        {
            qIn = t;
            dqOut = editor.UniqueName($"{t}_DequantizeLinear_Output");
            editor.ReplaceUses(t, dqOut);
        }
        editor.Add(new Node("QuantizeLinear", editor.UniqueName($"{t}_QuantizeLinear"), [qIn, scale, zero], [qOut]), next);
        editor.Add(new Node("DequantizeLinear", editor.UniqueName($"{t}_DequantizeLinear"), [qOut, scale, zero], [dqOut]), next);
    }

    private static void QuantizeWeight(ModelGraph g, GraphEditor editor, Node node, string w, QuantizationParameters p, QuantizationSpec spec)
    {
        var q = QuantMath.QuantizeTensor(g.Initializers[w], p, spec.QMin, spec.QMax);
        var qName = editor.AddInitializer($"{w}_quantized", q);
        var scale = editor.AddInitializer($"{w}_scale", p.ScaleTensor());
        var zero = editor.AddInitializer($"{w}_zero_point", p.ZeroPointTensor());
        var output = editor.UniqueName($"{w}_DequantizeLinear_Output");
        var dq = new Node("DequantizeLinear", editor.UniqueName($"{w}_DequantizeLinear"), [qName, scale, zero], [output]);
        if (p.Axis is int axis) dq.Attributes["axis"] = AttributeValue.Of((long)axis);
        editor.Add(dq, node);
        editor.SetInput(node, 1, output);
    }

    private static QuantizedBias QuantizeBias(ModelGraph g, GraphEditor editor, Node node, string b, float[] values, float inputScale, QuantizationParameters weights)
    {
        int k = values.Length;
        var scales = new float[k];
        for (int i = 0; i < k; i++) scales[i] = inputScale * weights.Scales[weights.PerChannel ? i : 0];
        var stored = Tensor.Zeros(DataType.Int32, k);
        var qName = editor.AddInitializer($"{b}_quantized", stored);
        var bias = new QuantizedBias(qName, stored, scales, values);
        var scale = editor.AddInitializer($"{b}_quantized_scale", weights.PerChannel ? Tensor.From((float[])scales.Clone(), k) : Tensor.Scalar(scales[0]));
        var zero = editor.AddInitializer($"{b}_quantized_zero_point", weights.PerChannel ? Tensor.Zeros(DataType.Int32, k) : Tensor.Scalar(0));
        var output = editor.UniqueName($"{b}_DequantizeLinear_Output");
        var dq = new Node("DequantizeLinear", editor.UniqueName($"{b}_DequantizeLinear"), [qName, scale, zero], [output]);
        if (weights.PerChannel) dq.Attributes["axis"] = AttributeValue.Of(0L);
        editor.Add(dq, node);
        editor.SetInput(node, 2, output);
        return bias;
    }
}
