using Prunus.Graph;

namespace Prunus.Quantization.Static;

/// <summary>
/// Where a static QDQ model quantizes activations: the inputs and outputs of its quantized layers, each calibrated,
/// and the tensors between them that only ops which commute with quantization (MaxPool, Flatten, Reshape, Squeeze,
/// Unsqueeze, Transpose) produce, which share the parameters of the tensor they come from, as ONNX Runtime requires
/// to run those ops on integers.
/// </summary>
public sealed class QdqLayout
{
    /// <summary>Ops whose output is a rearrangement or a selection of their input's values.</summary>
    public static IReadOnlySet<string> PassThroughOps { get; } =
        new HashSet<string>(["MaxPool", "GlobalMaxPool", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose"], StringComparer.Ordinal);

    private readonly ModelGraph _graph;
    private readonly Dictionary<string, Node> _producers = new(StringComparer.Ordinal);

    /// <summary>The quantizable layers, in graph order.</summary>
    public IReadOnlyList<QuantizableLayer> Layers { get; }

    /// <summary>The layout of <paramref name="layers"/> (found in <paramref name="graph"/>).</summary>
    public QdqLayout(ModelGraph graph, IReadOnlyList<QuantizableLayer> layers)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(layers);
        _graph = graph;
        Layers = layers;
        foreach (var n in graph.Nodes)
            foreach (var o in n.Outputs)
                if (o.Length > 0) _producers[o] = n;
    }

    /// <summary>
    /// The activation tensors to quantize when <paramref name="quantized"/> are the quantized layers, each mapped to
    /// the tensor whose calibrated parameters it uses (itself, or the source of a pass-through chain). Without
    /// <paramref name="graphOutputs"/>, a layer output that is a model output (and no quantized layer's input) stays float.
    /// </summary>
    public IReadOnlyDictionary<string, string> Points(IEnumerable<QuantizableLayer> quantized, bool graphOutputs = true)
    {
        var own = new HashSet<string>(StringComparer.Ordinal);
        var layers = quantized.ToList();
        var inputs = new HashSet<string>(layers.Select(l => l.Input), StringComparer.Ordinal);
        var modelOutputs = new HashSet<string>(_graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var l in layers)
        {
            own.Add(l.Input);
            if (graphOutputs || !modelOutputs.Contains(l.Output) || inputs.Contains(l.Output)) own.Add(l.Output);
        }
        var source = Sources(own);
        // With only some layers quantized, a tensor may lack the point it shares parameters with when all are (the
        // MaxPool output before conv2 when conv1 stays float): it takes that point's parameters all the same, so that
        // every source is one calibration observed and a layer's parameters do not depend on which others are quantized.
        var all = _all ??= Sources(AllPoints());
        foreach (var t in source.Keys.ToList())
            if (all.TryGetValue(source[t], out var s)) source[t] = s;
        return source;
    }

    private Dictionary<string, string>? _all;

    private HashSet<string> AllPoints() =>
        new(Layers.SelectMany(l => new[] { l.Input, l.Output }), StringComparer.Ordinal);

    private Dictionary<string, string> Sources(HashSet<string> own)
    {
        var source = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var t in own) Resolve(t, own, source);
        return source;
    }

    /// <summary>Every tensor that <see cref="Points"/> may map to: what calibration observes.</summary>
    public IReadOnlyCollection<string> CalibratedTensors() => (_all ??= Sources(AllPoints())).Values.Distinct(StringComparer.Ordinal).ToList();

    /// <summary>
    /// Maps <paramref name="tensor"/> (and the tensors of its pass-through chain) to its source: walking back through
    /// pass-through producers, the first tensor that is itself a layer's point, or the model input the chain starts
    /// at; the tensor itself when there is neither.
    /// </summary>
    private void Resolve(string tensor, HashSet<string> own, Dictionary<string, string> source)
    {
        if (source.ContainsKey(tensor)) return;
        var chain = new List<string> { tensor };
        var at = tensor;
        while (_producers.TryGetValue(at, out var p) && PassThroughOps.Contains(p.OpType) && p.Domain is "" or "ai.onnx"
            && p.Outputs[0] == at && p.InputOrNull(0) is { } input && !_graph.Initializers.ContainsKey(input))
        {
            if (own.Contains(input))
            {
                Resolve(input, own, source);
                foreach (var c in chain) source[c] = source[input];
                return;
            }
            chain.Add(input);
            at = input;
        }
        // A chain that starts at the model's input (Flatten of the images) shares the input's parameters: the values
        // are the input's own, which calibrate exactly.
        if (at != tensor && _graph.DataInputs.Any(i => i.Name == at))
        {
            foreach (var c in chain) source[c] = at;
            return;
        }
        source[tensor] = tensor;
    }
}
