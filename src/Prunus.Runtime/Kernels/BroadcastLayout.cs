using Prunus.Tensors;

namespace Prunus.Kernels;

/// <summary>
/// How up to three operands broadcast (NumPy rules, aligned at the trailing dimensions) into an output shape, reduced
/// to the fewest loops: output dimensions of size 1 are dropped and neighbours in which every operand is either full or
/// broadcast alike are merged. [N,C,H,W] + [C,1,1] becomes three loops (N: broadcast, C: full, H*W: broadcast) whose
/// innermost is a run of H*W elements against one value; [N,F] + [F] becomes N runs of F dense elements; same shapes
/// become one run. Built once at plan time; the kernels in <see cref="Broadcast"/> walk it without allocating.
/// </summary>
public sealed class BroadcastLayout
{
    /// <summary>The output shape.</summary>
    public int[] OutputShape { get; }
    /// <summary>Each operand's shape as given.</summary>
    public int[][] OperandShapes { get; }
    /// <summary>Number of output elements.</summary>
    public int Length { get; }
    /// <summary>Merged loop extents, outermost first; at least one.</summary>
    internal int[] Dims { get; }
    /// <summary>Per operand, its element stride for each merged loop (0 where it is broadcast).</summary>
    internal int[][] Strides { get; }

    private BroadcastLayout(int[] outputShape, int[][] operandShapes, int length, int[] dims, int[][] strides)
    {
        OutputShape = outputShape;
        OperandShapes = operandShapes;
        Length = length;
        Dims = dims;
        Strides = strides;
    }

    /// <summary>Number of operands.</summary>
    public int Operands => OperandShapes.Length;
    /// <summary>Length of the innermost run.</summary>
    public int Inner => Dims[^1];
    /// <summary>Number of merged loops (1 when every operand is full or a scalar).</summary>
    public int Rank => Dims.Length;
    /// <summary>Whether operand <paramref name="k"/> advances along the innermost run (else it repeats one value there).</summary>
    public bool InnerDense(int k) => Strides[k][^1] != 0;
    /// <summary>Whether operand <paramref name="k"/> has the output's every element (no broadcasting), so writes to it from disjoint output ranges are disjoint.</summary>
    public bool IsFull(int k) => ShapeMath.Size(OperandShapes[k]) == Length;

    /// <summary>
    /// The layout of <paramref name="operands"/> (1 to 3 shapes) broadcast into <paramref name="outputShape"/>; each must be
    /// unidirectionally broadcastable to it.
    /// </summary>
    public static BroadcastLayout Create(int[] outputShape, params int[][] operands)
    {
        if (operands.Length is < 1 or > 3) throw new ArgumentException("a broadcast layout has 1 to 3 operands");
        int rank = outputShape.Length;
        foreach (var s in operands)
        {
            bool ok = s.Length <= rank;
            for (int i = 0; ok && i < s.Length; i++)
            {
                int d = s[i], o = outputShape[rank - s.Length + i];
                ok = d == o || d == 1;
            }
            if (!ok)
                throw new ArgumentException($"shape {ShapeMath.Format(s)} does not broadcast to {ShapeMath.Format(outputShape)}");
        }
        int length = ShapeMath.Size(outputShape);
        int k = operands.Length;

        // Per output dimension of size > 1: its extent and which operands are full there (bit j set: operand j full).
        var extents = new List<int>();
        var patterns = new List<int>();
        for (int i = 0; i < rank; i++)
        {
            int o = outputShape[i];
            if (o == 1) continue;
            int pattern = 0;
            for (int j = 0; j < k; j++)
            {
                int p = i - (rank - operands[j].Length);
                if (p >= 0 && operands[j][p] == o) pattern |= 1 << j;
            }
            if (extents.Count > 0 && patterns[^1] == pattern) { extents[^1] *= o; continue; }
            extents.Add(o);
            patterns.Add(pattern);
        }
        if (extents.Count == 0 || length == 0)
        {
            // A scalar output, or an empty one: one run of Length elements in which every operand is full.
            extents = [length];
            patterns = [(1 << k) - 1];
        }

        var dims = extents.ToArray();
        var strides = new int[k][];
        for (int j = 0; j < k; j++)
        {
            strides[j] = new int[dims.Length];
            int acc = 1;
            for (int d = dims.Length - 1; d >= 0; d--)
            {
                if ((patterns[d] & (1 << j)) == 0) continue;
                strides[j][d] = acc;
                acc *= dims[d];
            }
        }
        return new BroadcastLayout((int[])outputShape.Clone(), operands.Select(s => (int[])s.Clone()).ToArray(), length, dims, strides);
    }

    /// <summary>Operand offsets of output element <paramref name="index"/>, without the merged loops (for the references and tests).</summary>
    public int OperandIndex(int k, int index)
    {
        var shape = OperandShapes[k];
        int rank = OutputShape.Length, offset = 0, stride = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            int o = OutputShape[i];
            int coord = index % o;
            index /= o;
            int p = i - (rank - shape.Length);
            if (p < 0) continue;
            if (shape[p] != 1) offset += coord * stride;
            stride *= shape[p];
        }
        return offset;
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"{ShapeMath.Format(OutputShape)} <- {string.Join(", ", OperandShapes.Select(s => ShapeMath.Format(s)))} as loops {ShapeMath.Format(Dims)}";
}
