namespace Prunus.Quantization.WeightOnly;

/// <summary>
/// A weight matrix of <see cref="Rows"/> outputs by <see cref="Columns"/> reduction terms, quantized group-wise along
/// each row: the row is cut into groups of <see cref="GroupSize"/> consecutive columns (the last one shorter when the
/// size does not divide the row), and each group has its own scale and zero point. One group per row is
/// per-channel quantization. Entry (r, c) is (q - z) · s of its group, as DequantizeLinear with <c>block_size</c>
/// computes it; rounding an entry to the nearest level errs by at most half a step (<see cref="Step"/> / 2).
/// </summary>
public sealed class GroupQuantizedMatrix
{
    /// <summary>Rows: output channels or features.</summary>
    public int Rows { get; }
    /// <summary>Columns: the terms each output sums over.</summary>
    public int Columns { get; }
    /// <summary>Columns per group (the last group of a row may hold fewer).</summary>
    public int GroupSize { get; }
    /// <summary>Groups per row: ceil(Columns / GroupSize).</summary>
    public int Groups { get; }
    /// <summary>The integer type, its symmetry and the levels used.</summary>
    public QuantizationSpec Spec { get; }
    /// <summary>Quantized values, row-major [Rows, Columns], each in [Spec.QMin, Spec.QMax].</summary>
    public int[] Values { get; }
    /// <summary>Scales, row-major [Rows, Groups].</summary>
    public float[] Scales { get; }
    /// <summary>Zero points, row-major [Rows, Groups] (0 for symmetric signed types).</summary>
    public int[] ZeroPoints { get; }

    /// <summary>An all-zero matrix of the given layout, to be filled by a quantizer.</summary>
    public GroupQuantizedMatrix(int rows, int columns, int groupSize, QuantizationSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (rows < 0 || columns < 0) throw new ArgumentOutOfRangeException(nameof(rows), $"a {rows} x {columns} matrix has a negative dimension");
        if (groupSize < 1) throw new ArgumentOutOfRangeException(nameof(groupSize), groupSize, "the group size must be at least 1");
        Rows = rows;
        Columns = columns;
        GroupSize = Math.Min(groupSize, Math.Max(1, columns));
        Groups = columns == 0 ? 0 : (columns + GroupSize - 1) / GroupSize;
        Spec = spec;
        Values = new int[(long)rows * columns];
        Scales = new float[(long)rows * Groups];
        ZeroPoints = new int[(long)rows * Groups];
    }

    /// <summary>The group of column <paramref name="column"/>.</summary>
    public int GroupOf(int column) => column / GroupSize;

    /// <summary>The columns [start, start + length) of group <paramref name="group"/>.</summary>
    public (int Start, int Length) GroupColumns(int group) => (group * GroupSize, Math.Min(GroupSize, Columns - group * GroupSize));

    /// <summary>The quantization step (scale) of entry (<paramref name="row"/>, <paramref name="column"/>).</summary>
    public float Step(int row, int column) => Scales[row * Groups + GroupOf(column)];

    /// <summary>The real value entry (<paramref name="row"/>, <paramref name="column"/>) stands for.</summary>
    public float Dequantize(int row, int column)
    {
        int g = row * Groups + GroupOf(column);
        return QuantMath.Dequantize(Values[(long)row * Columns + column], Scales[g], ZeroPoints[g]);
    }

    /// <summary>All real values, row-major [Rows, Columns].</summary>
    public float[] Dequantize()
    {
        var w = new float[Values.Length];
        for (int r = 0; r < Rows; r++)
            for (int c = 0; c < Columns; c++) w[(long)r * Columns + c] = Dequantize(r, c);
        return w;
    }

    /// <summary>Sets group <paramref name="group"/> of row <paramref name="row"/> to the range of <paramref name="values"/> (its entries).</summary>
    public void SetGroupRange(int row, int group, ReadOnlySpan<double> values)
    {
        double min = 0, max = 0;
        foreach (var v in values)
        {
            if (!double.IsFinite(v)) throw new ArgumentException($"weight row {row} holds {v}: it cannot be quantized");
            min = Math.Min(min, v);
            max = Math.Max(max, v);
        }
        var (s, z) = QuantMath.Parameters(min, max, Spec);
        Scales[row * Groups + group] = s;
        ZeroPoints[row * Groups + group] = z;
    }

    /// <summary>
    /// Rounds <paramref name="value"/> to the nearest level of its group at (<paramref name="row"/>, <paramref name="column"/>)
    /// (half to even, saturating), stores it and returns the real value it stands for.
    /// </summary>
    public double Round(int row, int column, double value)
    {
        int g = row * Groups + GroupOf(column);
        int q = QuantMath.Quantize((float)value, Scales[g], ZeroPoints[g], Spec.QMin, Spec.QMax);
        Values[(long)row * Columns + column] = q;
        return QuantMath.Dequantize(q, Scales[g], ZeroPoints[g]);
    }

    /// <summary>
    /// Round-to-nearest of <paramref name="weights"/> (row-major [rows, columns]): each group's scale and zero point
    /// from its own extremes (widened to contain 0), every entry rounded to the nearest level.
    /// </summary>
    public static GroupQuantizedMatrix RoundToNearest(ReadOnlySpan<float> weights, int rows, int columns, int groupSize, QuantizationSpec spec)
    {
        if (weights.Length != (long)rows * columns) throw new ArgumentException($"weights must hold {rows} x {columns} values, got {weights.Length}");
        var m = new GroupQuantizedMatrix(rows, columns, groupSize, spec);
        var group = new double[m.GroupSize];
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < m.Groups; g++)
            {
                var (start, length) = m.GroupColumns(g);
                var row = weights.Slice(r * columns + start, length);
                for (int i = 0; i < length; i++) group[i] = row[i];
                m.SetGroupRange(r, g, group.AsSpan(0, length));
                for (int i = 0; i < length; i++) m.Round(r, start + i, row[i]);
            }
        return m;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Spec.Type.Name()} {Rows} x {Columns} in groups of {GroupSize}";
}
