using Prunus.Tensors;

namespace Prunus.Graph;

/// <summary>Kinds of node attribute, numbered as ONNX's AttributeProto.AttributeType.</summary>
public enum AttributeKind
{
    Float = 1, Int = 2, String = 3, Tensor = 4, Graph = 5,
    Floats = 6, Ints = 7, Strings = 8,
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

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        AttributeKind.Float => Float.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AttributeKind.Int => Int.ToString(System.Globalization.CultureInfo.InvariantCulture),
        AttributeKind.String => String,
        AttributeKind.Ints => "[" + string.Join(",", Ints) + "]",
        AttributeKind.Floats => "[" + string.Join(",", Floats) + "]",
        AttributeKind.Tensor => Tensor!.ToString(),
        _ => Kind.ToString(),
    };
}
