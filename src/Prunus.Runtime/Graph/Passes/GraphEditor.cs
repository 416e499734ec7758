using Prunus.Graph.Ops;
using Prunus.Tensors;

namespace Prunus.Graph.Passes;

/// <summary>
/// Who produces and who reads each value of a graph, kept current through the edits passes make: removing nodes,
/// rewiring readers, renaming outputs, adding initializers. Removed nodes leave the graph's node list at
/// <see cref="Commit"/>, so a pass can keep walking a snapshot of the list and skip them with <see cref="IsRemoved"/>.
/// </summary>
/// <remarks>
/// Values that a subgraph (a Graph attribute, as of If or Loop) reads from the enclosing scope are "captured": the
/// node holding the subgraph counts as one of their readers, and they are never renamed or bypassed, since the
/// subgraph names them directly.
/// </remarks>
internal sealed class GraphEditor
{
    private readonly Dictionary<string, Node> _producer = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Node>> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _outputs;
    private readonly HashSet<string> _captured = new(StringComparer.Ordinal);
    private readonly HashSet<Node> _removed = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    /// <summary>The graph being edited.</summary>
    public ModelGraph Graph { get; }

    public GraphEditor(ModelGraph graph)
    {
        Graph = graph;
        _outputs = new HashSet<string>(graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        _names.UnionWith(graph.Inputs.Select(i => i.Name));
        _names.UnionWith(graph.Initializers.Keys);
        foreach (var n in graph.Nodes)
        {
            _names.Add(n.Name);
            foreach (var o in n.Outputs) if (o.Length > 0) { _producer[o] = n; _names.Add(o); }
            foreach (var i in n.Inputs.Distinct()) if (i.Length > 0) AddConsumer(i, n);
            foreach (var c in CapturedBy(n)) { _captured.Add(c); AddConsumer(c, n); }
        }
    }

    /// <summary>The node that produces <paramref name="value"/>, or null (graph input, initializer, undefined).</summary>
    public Node? Producer(string value) => _producer.TryGetValue(value, out var n) && !_removed.Contains(n) ? n : null;

    /// <summary>The nodes that read <paramref name="value"/> (each once).</summary>
    public IReadOnlyList<Node> Consumers(string value) =>
        _consumers.TryGetValue(value, out var list) ? list : [];

    /// <summary>Whether <paramref name="value"/> is a graph output.</summary>
    public bool IsGraphOutput(string value) => _outputs.Contains(value);

    /// <summary>Whether a subgraph reads <paramref name="value"/> from the enclosing scope.</summary>
    public bool IsCaptured(string value) => _captured.Contains(value);

    /// <summary>Whether <paramref name="node"/> has been removed by this editor.</summary>
    public bool IsRemoved(Node node) => _removed.Contains(node);

    /// <summary>The initializer named <paramref name="value"/>, or null.</summary>
    public Tensor? Initializer(string? value) => value is not null && Graph.Initializers.TryGetValue(value, out var t) ? t : null;

    /// <summary>
    /// Whether <paramref name="value"/> is an intermediate that only <paramref name="consumer"/> reads: not a graph
    /// output, not captured, one reader. Such a value may disappear when the two nodes are fused.
    /// </summary>
    public bool OnlyFeeds(string value, Node consumer)
    {
        if (IsGraphOutput(value) || IsCaptured(value)) return false;
        var c = Consumers(value);
        return c.Count == 1 && c[0] == consumer;
    }

    /// <summary>The single reader of <paramref name="value"/> when it is an intermediate with one reader, else null.</summary>
    public Node? SoleConsumer(string value)
    {
        if (IsGraphOutput(value) || IsCaptured(value)) return null;
        var c = Consumers(value);
        return c.Count == 1 ? c[0] : null;
    }

    /// <summary>Takes <paramref name="node"/> out of the graph (from the node list at <see cref="Commit"/>).</summary>
    public void Remove(Node node)
    {
        if (!_removed.Add(node)) return;
        foreach (var o in node.Outputs)
            if (o.Length > 0 && _producer.TryGetValue(o, out var p) && p == node) _producer.Remove(o);
        foreach (var i in node.Inputs.Concat(CapturedBy(node)).Distinct())
            if (i.Length > 0 && _consumers.TryGetValue(i, out var list)) list.Remove(node);
    }

    /// <summary>Adds <paramref name="node"/> to the graph, just before <paramref name="before"/> when given (for readable exports).</summary>
    public void Add(Node node, Node? before = null)
    {
        int at = before is null ? -1 : Graph.Nodes.IndexOf(before);
        if (at < 0) Graph.Nodes.Add(node); else Graph.Nodes.Insert(at, node);
        _names.Add(node.Name);
        foreach (var o in node.Outputs) if (o.Length > 0) { _producer[o] = node; _names.Add(o); }
        foreach (var i in node.Inputs.Distinct()) if (i.Length > 0) AddConsumer(i, node);
        foreach (var c in CapturedBy(node)) { _captured.Add(c); AddConsumer(c, node); }
    }

    /// <summary>Makes every node that reads <paramref name="from"/> read <paramref name="to"/> instead (captured reads excepted).</summary>
    public void ReplaceUses(string from, string to)
    {
        if (from == to || !_consumers.TryGetValue(from, out var list)) return;
        foreach (var n in list.ToArray())
        {
            if (!n.Inputs.Contains(from)) continue;
            for (int i = 0; i < n.Inputs.Count; i++) if (n.Inputs[i] == from) n.Inputs[i] = to;
            list.Remove(n);
            AddConsumer(to, n);
        }
    }

    /// <summary>Changes one input of <paramref name="node"/>.</summary>
    public void SetInput(Node node, int index, string value)
    {
        while (node.Inputs.Count <= index) node.Inputs.Add("");
        var old = node.Inputs[index];
        node.Inputs[index] = value;
        if (old.Length > 0 && !node.Inputs.Contains(old) && _consumers.TryGetValue(old, out var list)) list.Remove(node);
        if (value.Length > 0) AddConsumer(value, node);
    }

    /// <summary>Makes <paramref name="node"/> write output <paramref name="index"/> under <paramref name="name"/>.</summary>
    public void SetOutput(Node node, int index, string name)
    {
        var old = node.Outputs[index];
        if (old.Length > 0 && _producer.TryGetValue(old, out var p) && p == node) _producer.Remove(old);
        node.Outputs[index] = name;
        if (name.Length > 0) { _producer[name] = node; _names.Add(name); }
    }

    /// <summary>
    /// Removes <paramref name="node"/>, whose output 0 equals its input <paramref name="input"/>, and wires its readers
    /// to that input. When the output is a graph output, its name is kept: the input's producer is renamed to write it
    /// (and the input's other readers follow). Returns false, changing nothing, when that is impossible: the output is
    /// captured, or it is a graph output while the input is a graph input, an initializer, another graph output or
    /// captured. The node's other outputs must be unused (the caller checks).
    /// </summary>
    public bool Bypass(Node node, string input)
    {
        var output = node.Outputs[0];
        if (IsCaptured(output)) return false;
        if (!IsGraphOutput(output))
        {
            Remove(node);
            ReplaceUses(output, input);
            return true;
        }
        if (IsGraphOutput(input) || IsCaptured(input) || Producer(input) is not { } producer) return false;
        Remove(node);
        SetOutput(producer, producer.Outputs.IndexOf(input), output);
        ReplaceUses(input, output);
        return true;
    }

    /// <summary>A value or node name not yet used in the graph, from <paramref name="stem"/>.</summary>
    public string UniqueName(string stem)
    {
        if (_names.Add(stem)) return stem;
        for (int i = 1; ; i++)
        {
            var name = $"{stem}_{i}";
            if (_names.Add(name)) return name;
        }
    }

    /// <summary>Adds an initializer under a fresh name derived from <paramref name="stem"/>; returns the name.</summary>
    public string AddInitializer(string stem, Tensor value)
    {
        var name = UniqueName(stem);
        Graph.Initializers[name] = value;
        return name;
    }

    /// <summary>
    /// Replaces the value of initializer <paramref name="name"/> when <paramref name="reader"/> is its only reader
    /// (and it is no graph input or output), else adds a new initializer; returns the name to read.
    /// </summary>
    public string ReplaceInitializer(string name, Node reader, Tensor value)
    {
        bool exclusive = OnlyFeeds(name, reader) && !Graph.Inputs.Any(i => i.Name == name);
        if (!exclusive) return AddInitializer(name, value);
        Graph.Initializers[name] = value;
        return name;
    }

    /// <summary>Declares the ai.prunus domain in the model's opset imports (once a pass adds one of its ops).</summary>
    public void ImportPrunusDomain() => Graph.Metadata.Opsets.TryAdd(PrunusDomain.Name, PrunusDomain.Version);

    /// <summary>Drops removed nodes from the graph's node list.</summary>
    public void Commit()
    {
        if (_removed.Count == 0) return;
        Graph.Nodes.RemoveAll(_removed.Contains);
        _removed.Clear();
    }

    private void AddConsumer(string value, Node node)
    {
        if (!_consumers.TryGetValue(value, out var list)) _consumers[value] = list = [];
        if (!list.Contains(node)) list.Add(node);
    }

    /// <summary>Values the subgraphs of <paramref name="node"/> read from the enclosing scope.</summary>
    public static IEnumerable<string> CapturedBy(Node node)
    {
        foreach (var a in node.Attributes.Values)
        {
            if (a.Graph is { } g) foreach (var v in OuterReads(g)) yield return v;
            foreach (var sg in a.GraphList) foreach (var v in OuterReads(sg)) yield return v;
        }
    }

    private static HashSet<string> OuterReads(ModelGraph g)
    {
        var defined = new HashSet<string>(g.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        defined.UnionWith(g.Initializers.Keys);
        foreach (var n in g.Nodes) defined.UnionWith(n.Outputs.Where(o => o.Length > 0));
        var reads = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in g.Nodes)
        {
            reads.UnionWith(n.Inputs.Where(i => i.Length > 0 && !defined.Contains(i)));
            reads.UnionWith(CapturedBy(n).Where(v => !defined.Contains(v)));
        }
        reads.UnionWith(g.Outputs.Select(o => o.Name).Where(o => !defined.Contains(o)));
        return reads;
    }
}
