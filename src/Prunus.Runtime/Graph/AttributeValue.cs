using Prunus.Tensors;

namespace Prunus.Graph;

/// <summary>Kinds of node attribute, numbered as ONNX's AttributeProto.AttributeType.</summary>
public enum AttributeKind
{
    Float = 1, Int = 2, String = 3, Tensor = 4, Graph = 5,
    Floats = 6, Ints = 7, Strings = 8,
    Tensors = 9, Graphs = 10,
    /// <summary>A sparse tensor, held densely in <see cref="AttributeValue.Tensor"/> and written back in sparse form.</summary>
    SparseTensor = 11,
    /// <summary>Sparse tensors, held densely in <see cref="AttributeValue.TensorList"/>.</summary>
    SparseTensors = 12,
    TypeProto = 13, TypeProtos = 14,
}

/// <summary>A node attribute: exactly one of the typed fields is meaningful, according to <see cref="Kind"/>.</summary>
public sealed class AttributeValue
{
    public AttributeKind Kind { get; }
    public float Float { get; init; }
    public long Int { get; init; }
    /// <summary>ONNX strings are bytes; kept raw so that round trips are exact.</summary>
    public byte[] Bytes { get; init; } = [];
    public Tensor? Tensor { get; init; }
    public ModelGraph? Graph { get; init; }
    public float[] Floats { get; init; } = [];
    public long[] Ints { get; init; } = [];
    public byte[][] StringList { get; init; } = [];
    /// <summary>Value of a Tensors or SparseTensors attribute.</summary>
    public Tensor[] TensorList { get; init; } = [];
    /// <summary>Value of a Graphs attribute.</summary>
    public ModelGraph[] GraphList { get; init; } = [];
    /// <summary>Value of a TypeProto attribute.</summary>
    public TypeSpec? TypeValue { get; init; }
    /// <summary>Value of a TypeProtos attribute.</summary>
    public TypeSpec[] TypeList { get; init; } = [];
    /// <summary>
    /// Inside a function body: the name of the calling node's attribute this one stands for (the value fields are then
    /// unused). Empty for an ordinary attribute.
    /// </summary>
    public string RefAttrName { get; init; } = "";
    /// <summary>Attribute doc string, kept for round trips.</summary>
    public string DocString { get; init; } = "";

    private AttributeValue(AttributeKind kind) => Kind = kind;

    public string String => System.Text.Encoding.UTF8.GetString(Bytes);

    public static AttributeValue Of(float v) => new(AttributeKind.Float) { Float = v };
    public static AttributeValue Of(long v) => new(AttributeKind.Int) { Int = v };
    public static AttributeValue Of(string v) => new(AttributeKind.String) { Bytes = System.Text.Encoding.UTF8.GetBytes(v) };
    public static AttributeValue OfBytes(byte[] v) => new(AttributeKind.String) { Bytes = v };
    public static AttributeValue Of(Tensor v) => new(AttributeKind.Tensor) { Tensor = v };
    public static AttributeValue Of(ModelGraph v) => new(AttributeKind.Graph) { Graph = v };
    public static AttributeValue Of(float[] v) => new(AttributeKind.Floats) { Floats = v };
    public static AttributeValue Of(long[] v) => new(AttributeKind.Ints) { Ints = v };
    public static AttributeValue Of(params string[] v) => new(AttributeKind.Strings) { StringList = v.Select(System.Text.Encoding.UTF8.GetBytes).ToArray() };
    public static AttributeValue OfByteStrings(byte[][] v) => new(AttributeKind.Strings) { StringList = v };
    public static AttributeValue Of(Tensor[] v) => new(AttributeKind.Tensors) { TensorList = v };
    public static AttributeValue Of(ModelGraph[] v) => new(AttributeKind.Graphs) { GraphList = v };
    /// <summary>A sparse tensor attribute given densely (zeros are the implicit values).</summary>
    public static AttributeValue Sparse(Tensor v) => new(AttributeKind.SparseTensor) { Tensor = v };
    /// <summary>A list of sparse tensors given densely.</summary>
    public static AttributeValue Sparse(Tensor[] v) => new(AttributeKind.SparseTensors) { TensorList = v };
    public static AttributeValue Of(TypeSpec v) => new(AttributeKind.TypeProto) { TypeValue = v };
    public static AttributeValue Of(TypeSpec[] v) => new(AttributeKind.TypeProtos) { TypeList = v };
    /// <summary>Inside a function body: an attribute of <paramref name="kind"/> taken from the caller's attribute <paramref name="callerAttribute"/>.</summary>
    public static AttributeValue Reference(AttributeKind kind, string callerAttribute) => new(kind) { RefAttrName = callerAttribute };

    /// <summary>A copy of this value with another doc string.</summary>
    public AttributeValue WithDocString(string docString) => new(Kind)
    {
        Float = Float, Int = Int, Bytes = Bytes, Tensor = Tensor, Graph = Graph, Floats = Floats, Ints = Ints,
        StringList = StringList, TensorList = TensorList, GraphList = GraphList, TypeValue = TypeValue, TypeList = TypeList,
        RefAttrName = RefAttrName, DocString = docString,
    };

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        AttributeKind.Float => Float.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AttributeKind.Int => Int.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AttributeKind.String => String,
        AttributeKind.Ints => "[" + string.Join(",", Ints) + "]",
        AttributeKind.Floats => "[" + string.Join(",", Floats) + "]",
        AttributeKind.Tensor or AttributeKind.SparseTensor when RefAttrName.Length == 0 => Tensor!.ToString(),
        _ => Kind.ToString(),
    };
}
