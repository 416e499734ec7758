using Prunus.Graph;
using Prunus.Pruning;
using Prunus.Tensors;

namespace Prunus.Quantization.Static;

/// <summary>
/// A Conv, Gemm or MatMul with a constant float weight that static quantization can turn into QDQ form, with the
/// activations around it: the input it reads and the output it produces (after a following Relu or constant Clip,
/// which quantization keeps inside the layer, since the clipped range quantizes better).
/// </summary>
public sealed class QuantizableLayer
{
    /// <summary>The weight and its matrix view (output rows by reduction columns).</summary>
    public PrunableLayer Layer { get; }
    /// <summary>The activation following the product (Relu or Clip with constant bounds), if any.</summary>
    public Node? Activation { get; }
    /// <summary>The bias initializer (1-D, one value per output) that can be stored as int32, or null.</summary>
    public string? Bias { get; }

    /// <summary>The layer's node.</summary>
    public Node Node => Layer.Node;
    /// <summary>Name of the node (of the weight when the node has none).</summary>
    public string Name => Layer.Name;
    /// <summary>The op type: Conv, Gemm or MatMul.</summary>
    public string OpType => Node.OpType;
    /// <summary>The activation tensor the layer reads.</summary>
    public string Input => Node.Inputs[0];
    /// <summary>The product's own output (before any activation).</summary>
    public string RawOutput => Node.Outputs[0];
    /// <summary>The tensor quantized after the layer: the activation's output, or the product's.</summary>
    public string Output => Activation?.Outputs[0] ?? RawOutput;
    /// <summary>
    /// The weight dimension that indexes output channels: 0 for Conv and Gemm with transB = 1, 1 for Gemm without
    /// transB and MatMul (whose weight is [K_in, N_out]).
    /// </summary>
    public int WeightAxis => Layer.Transposed ? 1 : 0;
    /// <summary>The output dimension that indexes channels: 1 for Conv ([N,K,...]) and Gemm ([N,K]); the last for MatMul.</summary>
    public int OutputChannelAxis(int outputRank) => OpType == "MatMul" ? outputRank - 1 : 1;

    internal QuantizableLayer(PrunableLayer layer, Node? activation, string? bias)
    {
        Layer = layer;
        Activation = activation;
        Bias = bias;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{OpType} '{Name}'";

    /// <summary>
    /// The quantizable layers of <paramref name="graph"/> in graph order, leaving out nodes or weights named in
    /// <paramref name="exclude"/> (a name that matches no layer is an error).
    /// </summary>
    public static IReadOnlyList<QuantizableLayer> Find(ModelGraph graph, IReadOnlyCollection<string>? exclude = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        IReadOnlyList<PrunableLayer> layers;
        try { layers = PrunableLayers.Find(graph, exclude); }
        catch (ArgumentException e) { throw new ArgumentException(e.Message.Replace("prunable", "quantizable", StringComparison.Ordinal), e); }
        var consumers = Consumers(graph);
        var outputs = new HashSet<string>(graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        var result = new List<QuantizableLayer>();
        foreach (var l in layers)
        {
            // A weight read by several nodes is quantized once, by the first; the others would read it as float.
            if (graph.Nodes.Count(n => n.Inputs.Contains(l.WeightName)) > 1) continue;
            var y = l.Node.Outputs[0];
            Node? activation = null;
            if (!outputs.Contains(y) && consumers.TryGetValue(y, out var readers) && readers.Count == 1 && IsFusableActivation(graph, readers[0]))
                activation = readers[0];
            result.Add(new QuantizableLayer(l, activation, FindBias(graph, l)));
        }
        return result;
    }

    private static Dictionary<string, List<Node>> Consumers(ModelGraph graph)
    {
        var map = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
            foreach (var i in n.Inputs.Distinct())
                if (i.Length > 0)
                {
                    if (!map.TryGetValue(i, out var list)) map[i] = list = [];
                    list.Add(n);
                }
        return map;
    }

    /// <summary>Relu, or Clip whose bounds are attributes or initializers: monotone maps that quantization absorbs.</summary>
    private static bool IsFusableActivation(ModelGraph graph, Node node)
    {
        if (node.Domain is not ("" or "ai.onnx")) return false;
        if (node.OpType == "Relu") return true;
        if (node.OpType != "Clip") return false;
        for (int i = 1; i < node.Inputs.Count; i++)
            if (node.Inputs[i].Length > 0 && !graph.Initializers.ContainsKey(node.Inputs[i])) return false;
        return true;
    }

    /// <summary>The bias that can be quantized to int32 with scale s_x · s_w: Conv's input 2, or Gemm's C when alpha = beta = 1.</summary>
    private static string? FindBias(ModelGraph graph, PrunableLayer l)
    {
        var node = l.Node;
        if (l.Kind == LayerKind.MatMul || node.InputOrNull(2) is not { } b) return null;
        if (!graph.Initializers.TryGetValue(b, out var t) || t.Type != DataType.Float32 || t.Rank != 1 || t.Length != l.Outputs) return null;
        if (l.Kind == LayerKind.Gemm)
        {
            float alpha = node.Attributes.GetValueOrDefault("alpha")?.Float ?? 1f, beta = node.Attributes.GetValueOrDefault("beta")?.Float ?? 1f;
            if (alpha != 1f || beta != 1f) return null;
        }
        // A bias shared with another node stays float: its int32 form depends on this layer's scales.
        return graph.Nodes.Count(n => n.Inputs.Contains(b)) == 1 ? b : null;
    }
}
