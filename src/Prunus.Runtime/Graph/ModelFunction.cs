namespace Prunus.Graph;

/// <summary>
/// A model-local function (ONNX FunctionProto): a named body of nodes that graph nodes of the same domain and op type
/// call like an operator. Kept through import and export; nodes of the body may refer to the caller's attributes
/// through <see cref="AttributeValue.RefAttrName"/>.
/// </summary>
public sealed class ModelFunction
{
    /// <summary>The op type callers use.</summary>
    public string Name { get; set; }
    /// <summary>The domain callers use.</summary>
    public string Domain { get; set; }
    /// <summary>Distinguishes functions of the same domain and name; matched by <see cref="Node.Overload"/>.</summary>
    public string Overload { get; set; } = "";
    /// <summary>Formal input names, bound to the caller's inputs by position.</summary>
    public List<string> Inputs { get; } = [];
    /// <summary>Formal output names, bound to the caller's outputs by position.</summary>
    public List<string> Outputs { get; } = [];
    /// <summary>Attributes the caller must give (no default).</summary>
    public List<string> AttributeNames { get; } = [];
    /// <summary>Attributes with a default value.</summary>
    public Dictionary<string, AttributeValue> AttributeDefaults { get; } = new(StringComparer.Ordinal);
    /// <summary>The body, in topological order.</summary>
    public List<Node> Nodes { get; } = [];
    /// <summary>Declared types of values of the body.</summary>
    public List<ValueInfo> ValueInfos { get; } = [];
    /// <summary>Opset version per domain used by the body.</summary>
    public Dictionary<string, long> Opsets { get; } = new(StringComparer.Ordinal);
    public string DocString { get; set; } = "";

    public ModelFunction(string domain, string name) { Domain = domain; Name = name; }

    /// <inheritdoc/>
    public override string ToString() => $"function {Domain}.{Name}";
}
