using Prunus.Tensors;

namespace Prunus.Graph;

/// <summary>Kinds of value type, numbered as the fields of ONNX's TypeProto.</summary>
public enum TypeSpecKind
{
    /// <summary>No type given (or a type Prunus does not model, such as an opaque type).</summary>
    Unspecified = 0,
    Tensor = 1,
    Sequence = 4,
    Map = 5,
    SparseTensor = 8,
    Optional = 9,
}

/// <summary>
/// The full type of a value, for the cases a plain tensor type cannot express: sequences, maps, optionals and sparse
/// tensors (and TYPE_PROTO attributes). Element types of tensors keep ONNX's numbering even for types Prunus cannot
/// compute with, so a declared float16 or string type survives a round trip.
/// </summary>
public sealed class TypeSpec
{
    /// <summary>Which kind of type this is.</summary>
    public TypeSpecKind Kind { get; }
    /// <summary>Element type of a tensor or sparse tensor; key type of a map.</summary>
    public DataType ElementType { get; init; }
    /// <summary>Shape of a tensor or sparse tensor; null when the rank is unknown.</summary>
    public Dim[]? Dims { get; init; }
    /// <summary>Element type of a sequence or optional; value type of a map.</summary>
    public TypeSpec? Element { get; init; }

    private TypeSpec(TypeSpecKind kind) => Kind = kind;

    /// <summary>No type.</summary>
    public static TypeSpec Unspecified { get; } = new(TypeSpecKind.Unspecified);
    /// <summary>A dense tensor type.</summary>
    public static TypeSpec Tensor(DataType elementType, Dim[]? dims) => new(TypeSpecKind.Tensor) { ElementType = elementType, Dims = dims };
    /// <summary>A sparse tensor type.</summary>
    public static TypeSpec SparseTensor(DataType elementType, Dim[]? dims) => new(TypeSpecKind.SparseTensor) { ElementType = elementType, Dims = dims };
    /// <summary>A sequence of values of one type.</summary>
    public static TypeSpec Sequence(TypeSpec element) => new(TypeSpecKind.Sequence) { Element = element };
    /// <summary>A value that may be absent.</summary>
    public static TypeSpec Optional(TypeSpec element) => new(TypeSpecKind.Optional) { Element = element };
    /// <summary>A map from an integer or string key type to values of one type.</summary>
    public static TypeSpec Map(DataType keyType, TypeSpec value) => new(TypeSpecKind.Map) { ElementType = keyType, Element = value };

    /// <inheritdoc/>
    public override string ToString() => Kind switch
    {
        TypeSpecKind.Tensor => $"{ElementType}[{(Dims is null ? "?" : string.Join(",", Dims))}]",
        TypeSpecKind.SparseTensor => $"sparse {ElementType}[{(Dims is null ? "?" : string.Join(",", Dims))}]",
        TypeSpecKind.Sequence => $"seq({Element})",
        TypeSpecKind.Optional => $"optional({Element})",
        TypeSpecKind.Map => $"map({ElementType},{Element})",
        _ => "?",
    };
}
