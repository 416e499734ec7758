namespace Prunus.Graph;

/// <summary>
/// One operation of the graph: an ONNX op type with attributes, reading and writing named values.
/// An empty string among <see cref="Inputs"/> marks an optional input that is absent.
/// </summary>
public sealed class Node
{
    public string OpType { get; set; }
    public string Name { get; set; }
    /// <summary>Operator domain; "" (or "ai.onnx") is the ONNX default domain.</summary>
    public string Domain { get; set; } = "";
    public List<string> Inputs { get; } = [];
    public List<string> Outputs { get; } = [];
    public Dictionary<string, AttributeValue> Attributes { get; } = new(StringComparer.Ordinal);
    public string DocString { get; set; } = "";
    /// <summary>Selects among model-local functions of the same domain and op type; usually empty.</summary>
    public string Overload { get; set; } = "";

    public Node(string opType, string name, IEnumerable<string> inputs, IEnumerable<string> outputs)
    {
        OpType = opType;
        Name = name;
        Inputs.AddRange(inputs);
        Outputs.AddRange(outputs);
    }

    /// <summary>Input <paramref name="i"/>, or null when absent (beyond the list or empty).</summary>
    public string? InputOrNull(int i) => i < Inputs.Count && Inputs[i].Length > 0 ? Inputs[i] : null;

    /// <summary>Sets an attribute and returns this node, for fluent building.</summary>
    public Node With(string name, AttributeValue value) { Attributes[name] = value; return this; }

    /// <inheritdoc/>
    public override string ToString() => $"{OpType} '{Name}'";
}
