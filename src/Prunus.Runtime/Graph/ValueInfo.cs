using Prunus.Tensors;

namespace Prunus.Graph;

/// <summary>
/// A declared graph input or output: name, element type and shape, where a dimension is either a number or a symbol
/// (for example a dynamic batch "N"); a null <see cref="Dims"/> means the rank is unknown.
/// </summary>
public sealed class ValueInfo
{
    public string Name { get; set; }
    public DataType Type { get; set; }
    public Dim[]? Dims { get; set; }
    public string DocString { get; set; } = "";
    /// <summary>
    /// The type when the value is not a dense tensor (a sequence, map, optional or sparse tensor); null for dense
    /// tensors, which <see cref="Type"/> and <see cref="Dims"/> describe.
    /// </summary>
    public TypeSpec? FullType { get; set; }

    public ValueInfo(string name, DataType type, Dim[]? dims) { Name = name; Type = type; Dims = dims; }

    /// <summary>The shape with symbolic dimensions replaced by <paramref name="symbolValue"/> (e.g. a batch size).</summary>
    public int[] Concrete(int symbolValue = 1) => Dims?.Select(d => d.Value ?? symbolValue).ToArray()
        ?? throw new InvalidOperationException($"input '{Name}' has no declared shape; give its shape explicitly");

    /// <summary>
    /// True when a tensor of <paramref name="shape"/> fits the declared shape: same rank, equal fixed dimensions
    /// (symbolic and unknown ones take any size). Without a declared shape, every shape fits.
    /// </summary>
    public bool Accepts(ReadOnlySpan<int> shape)
    {
        if (Dims is null) return true;
        if (Dims.Length != shape.Length) return false;
        for (int i = 0; i < shape.Length; i++)
            if (Dims[i].Value is { } v && v != shape[i]) return false;
        return true;
    }

    /// <inheritdoc/>
    public override string ToString() => FullType is not null ? $"{Name}: {FullType}" : $"{Name}: {Type}[{(Dims is null ? "?" : string.Join(",", Dims))}]";
}

/// <summary>One dimension of a declared shape: a fixed size or a named symbol.</summary>
public readonly record struct Dim(int? Value, string? Symbol)
{
    public static implicit operator Dim(int v) => new(v, null);
    public static Dim Sym(string s) => new(null, s);
    /// <inheritdoc/>
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Symbol ?? "?";
}
