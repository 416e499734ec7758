using Prunus.Tensors;

namespace Prunus.Graph;

/// <summary>
/// The one model representation: a dataflow graph of ONNX ops. Parameters are initializers; which of them are trained
/// follows from where they are used (see <c>Prunus.Graph.Planning.Trainability</c>).
/// </summary>
public sealed class ModelGraph
{
    public string Name { get; set; } = "graph";
    public List<Node> Nodes { get; } = [];
    public List<ValueInfo> Inputs { get; } = [];
    public List<ValueInfo> Outputs { get; } = [];
    /// <summary>Declared types of intermediate values, kept from import for export.</summary>
    public List<ValueInfo> ValueInfos { get; } = [];
    public Dictionary<string, Tensor> Initializers { get; } = new(StringComparer.Ordinal);
    public string DocString { get; set; } = "";

    /// <summary>Model-level facts (ONNX ModelProto fields).</summary>
    public ModelMetadata Metadata { get; set; } = new();

    /// <summary>Finds a node by name.</summary>
    public Node? FindNode(string name) => Nodes.Find(n => n.Name == name);

    /// <summary>The node that produces <paramref name="value"/>, if any.</summary>
    public Node? Producer(string value) => Nodes.Find(n => n.Outputs.Contains(value));

    /// <summary>The nodes that read <paramref name="value"/>.</summary>
    public IEnumerable<Node> Consumers(string value) => Nodes.Where(n => n.Inputs.Contains(value));

    /// <summary>Graph inputs that are not initializers (the data the user feeds).</summary>
    public IEnumerable<ValueInfo> DataInputs => Inputs.Where(i => !Initializers.ContainsKey(i.Name));

    /// <summary>A deep copy: nodes, infos and initializer data are all new objects.</summary>
    public ModelGraph Clone()
    {
        var g = new ModelGraph { Name = Name, DocString = DocString, Metadata = Metadata.Clone() };
        foreach (var n in Nodes)
        {
            var c = new Node(n.OpType, n.Name, n.Inputs, n.Outputs) { Domain = n.Domain, DocString = n.DocString, Overload = n.Overload };
            foreach (var (k, v) in n.Attributes) c.Attributes[k] = v;
            g.Nodes.Add(c);
        }
        g.Inputs.AddRange(Inputs.Select(CloneInfo));
        g.Outputs.AddRange(Outputs.Select(CloneInfo));
        g.ValueInfos.AddRange(ValueInfos.Select(CloneInfo));
        foreach (var (k, v) in Initializers) g.Initializers[k] = v.Clone();
        return g;
    }

    private static ValueInfo CloneInfo(ValueInfo v) => new(v.Name, v.Type, v.Dims?.ToArray()) { DocString = v.DocString, FullType = v.FullType };
}

/// <summary>ModelProto-level fields kept through import and export.</summary>
public sealed class ModelMetadata
{
    public long IrVersion { get; set; } = 8;
    /// <summary>Opset version per domain ("" is the default ONNX domain).</summary>
    public Dictionary<string, long> Opsets { get; } = new(StringComparer.Ordinal) { [""] = 17 };
    public string ProducerName { get; set; } = "prunus";
    public string ProducerVersion { get; set; } = "0.1";
    public string Domain { get; set; } = "";
    public long ModelVersion { get; set; }
    public string DocString { get; set; } = "";
    public Dictionary<string, string> Properties { get; } = new(StringComparer.Ordinal);
    /// <summary>Model-local functions called by nodes of the graph.</summary>
    public List<ModelFunction> Functions { get; } = [];

    /// <summary>The default-domain opset version.</summary>
    public long Opset => Opsets.TryGetValue("", out var v) ? v : Opsets.TryGetValue("ai.onnx", out var w) ? w : 17;

    public ModelMetadata Clone()
    {
        var m = new ModelMetadata { IrVersion = IrVersion, ProducerName = ProducerName, ProducerVersion = ProducerVersion, Domain = Domain, ModelVersion = ModelVersion, DocString = DocString };
        m.Opsets.Clear();
        foreach (var (k, v) in Opsets) m.Opsets[k] = v;
        foreach (var (k, v) in Properties) m.Properties[k] = v;
        m.Functions.AddRange(Functions);  // function bodies are shared, not copied
        return m;
    }
}
