using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// The shapes of MatMulInteger and QLinearMatMul: numpy.matmul of A [..., M, K] and B [..., K, N] with broadcast batch
/// dims (1-D operands promoted and the added dim dropped), resolved to one [M,K] x [K,N] product per output batch
/// index, and where each row's and column's quantization parameters (zero point, scale) are found.
/// </summary>
internal sealed class IntegerMatMulLayout
{
    public int M { get; private init; }
    public int N { get; private init; }
    public int K { get; private init; }
    public int[] OutShape { get; private init; } = [];
    /// <summary>Element offsets of A's and B's matrix for each output batch index.</summary>
    public int[] AOffsets { get; private init; } = [];
    public int[] BOffsets { get; private init; } = [];
    private int[] _aBatch = [], _bBatch = [];

    /// <summary>Output batch count (products to compute).</summary>
    public int Batch => AOffsets.Length;

    /// <summary>Index of A's matrix (among A's own batch) used by output batch <paramref name="t"/>.</summary>
    public int AMatrix(int t) => M * K == 0 ? 0 : AOffsets[t] / (M * K);

    /// <summary>Index of B's matrix used by output batch <paramref name="t"/>.</summary>
    public int BMatrix(int t) => K * N == 0 ? 0 : BOffsets[t] / (K * N);

    public static IntegerMatMulLayout Of(NodeContext ctx, int aInput, int bInput)
    {
        var s = MatMulShapes.Of(ctx, aInput, bInput);
        return new IntegerMatMulLayout
        {
            M = s.M, N = s.N, K = s.K, OutShape = s.OutShape, AOffsets = s.AOffsets, BOffsets = s.BOffsets,
            _aBatch = s.ABatch, _bBatch = s.BBatch,
        };
    }

    /// <summary>
    /// Where A's per-row parameter <paramref name="input"/> (a zero point or scale) is read: null when it is a single
    /// value; else, for A matrix i and row m, element map[i·M + m] of the parameter. Accepted shapes: one value, [M], or
    /// A's rank with the last dim 1, M before it and batch dims equal to A's or 1.
    /// </summary>
    public int[]? RowParameters(NodeContext ctx, int input, string name) =>
        ParameterMap(ctx, input, name, _aBatch, M, rows: true);

    /// <summary>As <see cref="RowParameters"/> for B's per-column parameters: one value, [N], or B's rank with [..., 1, N].</summary>
    public int[]? ColumnParameters(NodeContext ctx, int input, string name) =>
        ParameterMap(ctx, input, name, _bBatch, N, rows: false);

    private static int[]? ParameterMap(NodeContext ctx, int input, string name, int[] batch, int length, bool rows)
    {
        if (!ctx.HasInput(input)) return null;
        var z = ctx.Shape(input);
        if (ShapeMath.Size(z) == 1) return null;
        int matrices = ShapeMath.Size(batch);
        var map = new int[matrices * length];
        string expected = rows ? $"one value, [{length}] (one per row of A) or [..., {length}, 1] with A's batch dims"
            : $"one value, [{length}] (one per column of B) or [..., 1, {length}] with B's batch dims";
        if (z.Length == 1)
        {
            if (z[0] != length) throw ctx.Error($"{name} {ShapeMath.Format(z)} must be {expected}");
            for (int i = 0; i < map.Length; i++) map[i] = i % length;
            return map;
        }
        int rank = batch.Length + 2;
        bool ok = z.Length == rank && (rows ? z[^2] == length && z[^1] == 1 : z[^2] == 1 && z[^1] == length);
        for (int d = 0; ok && d < batch.Length; d++) ok = z[d] == batch[d] || z[d] == 1;
        if (!ok) throw ctx.Error($"{name} {ShapeMath.Format(z)} must be {expected}");
        // Strides of z's batch dims (0 where z broadcasts); its matrix part is `length` contiguous values.
        var strides = new int[batch.Length];
        for (int d = batch.Length - 1, s = length; d >= 0; d--) { strides[d] = z[d] == 1 ? 0 : s; s *= z[d]; }
        var idx = new int[batch.Length];
        for (int i = 0; i < matrices; i++)
        {
            int offset = 0;
            for (int d = 0; d < batch.Length; d++) offset += idx[d] * strides[d];
            for (int j = 0; j < length; j++) map[i * length + j] = offset + j;
            for (int d = batch.Length - 1; d >= 0 && ++idx[d] == batch[d]; d--) idx[d] = 0;
        }
        return map;
    }
}
