using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Pruning.Structured;

/// <summary>
/// Constant tensors by value name: initializers, and the outputs of Constant nodes (exporters write small per-channel
/// parameters, such as GroupNorm's, that way). Structured pruning slices both alike.
/// </summary>
internal sealed class ConstantTensors
{
    private readonly ModelGraph _graph;
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);

    public ConstantTensors(ModelGraph graph)
    {
        _graph = graph;
        foreach (var n in graph.Nodes)
        {
            if (n.Domain is not ("" or "ai.onnx") || n.Outputs.Count != 1) continue;
            if (n.OpType == "Constant" && n.Attributes.TryGetValue("value", out var v) && v.Kind == AttributeKind.Tensor && v.Tensor is not null)
                _nodes.TryAdd(n.Outputs[0], n);
            // Exporters share a module's parameters between its calls through Identity nodes.
            else if (n.OpType == "Identity" && n.Inputs.Count == 1) _aliases.TryAdd(n.Outputs[0], n.Inputs[0]);
        }
    }

    /// <summary>The constant a value is (through Identity nodes), or the value itself.</summary>
    public string Resolve(string name)
    {
        for (int hops = 0; hops < 64 && _aliases.TryGetValue(name, out var source); hops++) name = source;
        return name;
    }

    /// <summary>Whether <paramref name="name"/> names a constant tensor (itself, not through an Identity).</summary>
    public bool Contains(string? name) => name is { Length: > 0 } && (_graph.Initializers.ContainsKey(name) || _nodes.ContainsKey(name));

    /// <summary>Whether <paramref name="name"/> is an Identity of a constant.</summary>
    public bool IsAlias(string name) => _aliases.ContainsKey(name) && Contains(Resolve(name));

    /// <summary>The constant named <paramref name="name"/>, or null.</summary>
    public Tensor? Get(string? name) =>
        name is not { Length: > 0 } ? null
        : _graph.Initializers.TryGetValue(name, out var t) ? t
        : _nodes.TryGetValue(name, out var n) ? n.Attributes["value"].Tensor : null;

    /// <summary>Replaces the constant named <paramref name="name"/> (it must exist).</summary>
    public void Set(string name, Tensor value)
    {
        if (_graph.Initializers.ContainsKey(name)) _graph.Initializers[name] = value;
        else _nodes[name].Attributes["value"] = AttributeValue.Of(value);
    }
}
