namespace Prunus.Tensors;

/// <summary>The type and concrete shape of a value, as shape inference sees it.</summary>
public readonly record struct TensorInfo(DataType Type, int[] Shape)
{
    /// <summary>Number of elements.</summary>
    public int Length => ShapeMath.Size(Shape);
    /// <summary>Rank.</summary>
    public int Rank => Shape.Length;
    /// <inheritdoc/>
    public override string ToString() => $"{Type}{ShapeMath.Format(Shape)}";
}
