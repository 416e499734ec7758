using Prunus.Tensors;

namespace Prunus.Training;

/// <summary>
/// A trained tensor as an optimizer sees it: its name (the initializer's), its value (updated in place), the gradient
/// to read at each step, and an optional mask that keeps pruned entries at exactly zero.
/// </summary>
public sealed class Parameter
{
    /// <summary>Initializer name.</summary>
    public string Name { get; }
    /// <summary>The value, updated in place by the optimizer.</summary>
    public Tensor Value { get; }

    private Tensor _gradient;
    /// <summary>dLoss/dValue for the current step (rebound when the trainer switches plans).</summary>
    public Tensor Gradient
    {
        get => _gradient;
        set { CheckShape(value, "gradient"); _gradient = value; }
    }

    private Tensor? _mask;
    /// <summary>
    /// Where zero, the entry is pruned: its gradient is ignored and its value (and optimizer state) is held at exactly
    /// zero after every step. Null means nothing is pruned. Setting a mask zeroes the masked values at once.
    /// </summary>
    public Tensor? Mask
    {
        get => _mask;
        set
        {
            if (value is not null)
            {
                CheckShape(value, "mask");
                ApplyMask(Value.Floats, value.Floats);
            }
            _mask = value;
        }
    }

    /// <summary>A parameter over <paramref name="value"/> with gradient buffer <paramref name="gradient"/>.</summary>
    public Parameter(string name, Tensor value, Tensor gradient)
    {
        Name = name;
        Value = value;
        if (value.Type != DataType.Float32) throw new ArgumentException($"parameter '{name}' must be Float32, got {value.Type}");
        _gradient = value; // replaced just below; keeps the field non-null for CheckShape
        Gradient = gradient;
    }

    /// <summary>Sets <paramref name="data"/>[i] = 0 wherever <paramref name="mask"/>[i] is 0 (a select, so the zero is +0).</summary>
    public static void ApplyMask(Span<float> data, ReadOnlySpan<float> mask)
    {
        for (int i = 0; i < data.Length; i++)
            if (mask[i] == 0) data[i] = 0;
    }

    private void CheckShape(Tensor t, string what)
    {
        if (t.Type != DataType.Float32 || !ShapeMath.SameShape(t.Shape, Value.Shape))
            throw new ArgumentException($"the {what} of parameter '{Name}' must be Float32{ShapeMath.Format(Value.Shape)}, got {t}");
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name}: {Value}";
}
