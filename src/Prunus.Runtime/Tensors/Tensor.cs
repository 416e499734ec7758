using System.Runtime.CompilerServices;

namespace Prunus.Tensors;

/// <summary>
/// A dense, contiguous, row-major tensor. It is a view: <see cref="Storage"/> may be larger than the tensor and shared
/// with other tensors (the planner places many tensors in one arena buffer), so always go through <see cref="Span{T}"/>.
/// </summary>
public sealed class Tensor
{
    /// <summary>Element type.</summary>
    public DataType Type { get; }
    /// <summary>Dimensions, outermost first. Empty for a scalar.</summary>
    public int[] Shape { get; }
    /// <summary>Number of elements (product of <see cref="Shape"/>).</summary>
    public int Length { get; }
    /// <summary>
    /// Backing array according to <see cref="Type"/>: float[], double[], long[], int[], short[], ushort[], sbyte[] (Int8
    /// and Int4), byte[] (UInt8 and UInt4) or bool[].
    /// </summary>
    public Array Storage { get; }
    /// <summary>Index of the first element in <see cref="Storage"/>.</summary>
    public int Offset { get; }

    /// <summary>Wraps <paramref name="storage"/> from <paramref name="offset"/> as a tensor of <paramref name="shape"/>.</summary>
    public Tensor(DataType type, int[] shape, Array storage, int offset = 0)
    {
        Type = type;
        Shape = shape;
        Length = ShapeMath.Size(shape);
        Storage = storage;
        Offset = offset;
        if (offset < 0 || offset + Length > storage.Length)
            throw new ArgumentException($"tensor of shape {ShapeMath.Format(shape)} does not fit in storage of {storage.Length} elements at offset {offset}");
    }

    /// <summary>A new zero-filled tensor.</summary>
    public static Tensor Zeros(DataType type, params int[] shape) => new(type, shape, DataTypes.NewStorage(type, ShapeMath.Size(shape)));

    /// <summary>A new zero-filled float tensor.</summary>
    public static Tensor Zeros(params int[] shape) => Zeros(DataType.Float32, shape);

    /// <summary>Wraps an array (not copied) as a tensor.</summary>
    public static Tensor From<T>(T[] data, params int[] shape) where T : unmanaged
    {
        if (ShapeMath.Size(shape) != data.Length)
            throw new ArgumentException($"{data.Length} values cannot fill shape {ShapeMath.Format(shape)}");
        return new Tensor(DataTypes.Of<T>(), shape, data);
    }

    /// <summary>A scalar (rank 0) tensor.</summary>
    public static Tensor Scalar<T>(T value) where T : unmanaged => new(DataTypes.Of<T>(), [], new[] { value });

    /// <summary>The elements as a span of <typeparamref name="T"/>, which must match <see cref="Type"/>'s storage.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public Span<T> Span<T>() where T : unmanaged => new((T[])Storage, Offset, Length);

    /// <summary>The elements of a float tensor.</summary>
    public Span<float> Floats
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => new((float[])Storage, Offset, Length);
    }

    /// <summary>Rank (number of dimensions).</summary>
    public int Rank => Shape.Length;

    /// <summary>Element <paramref name="i"/> of any numeric tensor, widened to double (for shape logic and tests).</summary>
    public double GetAsDouble(int i) => Type switch
    {
        DataType.Float32 => Span<float>()[i],
        DataType.Float64 => Span<double>()[i],
        DataType.Int64 => Span<long>()[i],
        DataType.Int32 => Span<int>()[i],
        DataType.Int16 => Span<short>()[i],
        DataType.UInt16 => Span<ushort>()[i],
        DataType.Int8 or DataType.Int4 => Span<sbyte>()[i],
        DataType.UInt8 or DataType.UInt4 => Span<byte>()[i],
        DataType.Bool => Span<bool>()[i] ? 1 : 0,
        _ => throw new NotSupportedException(Type.ToString()),
    };

    /// <summary>All elements of an integer tensor as long (for shape-like inputs such as Reshape's shape).</summary>
    public long[] ToInt64Array()
    {
        var r = new long[Length];
        for (int i = 0; i < r.Length; i++) r[i] = (long)GetAsDouble(i);
        return r;
    }

    /// <summary>A deep copy with its own storage.</summary>
    public Tensor Clone()
    {
        var storage = DataTypes.NewStorage(Type, Length);
        Array.Copy(Storage, Offset, storage, 0, Length);
        return new Tensor(Type, (int[])Shape.Clone(), storage);
    }

    /// <summary>The same elements under another shape of equal size (shares storage).</summary>
    public Tensor Reshape(params int[] shape)
    {
        if (ShapeMath.Size(shape) != Length)
            throw new ArgumentException($"cannot reshape {ShapeMath.Format(Shape)} to {ShapeMath.Format(shape)}");
        return new Tensor(Type, shape, Storage, Offset);
    }

    /// <summary>Copies the elements of <paramref name="source"/> (same type and length) into this tensor.</summary>
    public void CopyFrom(Tensor source)
    {
        if (source.Type != Type || source.Length != Length)
            throw new ArgumentException($"cannot copy {source.Type}{ShapeMath.Format(source.Shape)} into {Type}{ShapeMath.Format(Shape)}");
        Array.Copy(source.Storage, source.Offset, Storage, Offset, Length);
    }

    /// <summary>Sets all elements to zero.</summary>
    public void Clear() => Array.Clear(Storage, Offset, Length);

    /// <inheritdoc/>
    public override string ToString() => $"{Type}{ShapeMath.Format(Shape)}";
}
