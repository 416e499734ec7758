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
        var a = ctx.Shape(aInput);
        var b = ctx.Shape(bInput);
        if (a.Length == 0 || b.Length == 0) throw ctx.Error($"A and B must have rank at least 1, got {ShapeMath.Format(a)} and {ShapeMath.Format(b)}");
        var a2 = a.Length == 1 ? new[] { 1, a[0] } : a;
        var b2 = b.Length == 1 ? new[] { b[0], 1 } : b;
        int m = a2[^2], k = a2[^1], kb = b2[^2], n = b2[^1];
        if (k != kb) throw ctx.Error($"inner dimensions differ: A {ShapeMath.Format(a)} has K={k} but B {ShapeMath.Format(b)} has K={kb}");
        var aBatch = a2[..^2];
        var bBatch = b2[..^2];
        int[] batch;
        try { batch = ShapeMath.Broadcast(aBatch, bBatch); }
        catch (ArgumentException) { throw ctx.Error($"batch dimensions of A {ShapeMath.Format(a)} and B {ShapeMath.Format(b)} do not broadcast"); }
        var outShape = new List<int>(batch);
        if (a.Length > 1) outShape.Add(m);
        if (b.Length > 1) outShape.Add(n);
        int count = ShapeMath.Size(batch);
        var aOffsets = new int[count];
        var bOffsets = new int[count];
        var aStrides = BroadcastStrides(aBatch, batch.Length, m * k);
        var bStrides = BroadcastStrides(bBatch, batch.Length, k * n);
        var idx = new int[batch.Length];
        for (int t = 0; t < count; t++)
        {
            for (int d = 0; d < batch.Length; d++) { aOffsets[t] += idx[d] * aStrides[d]; bOffsets[t] += idx[d] * bStrides[d]; }
            for (int d = batch.Length - 1; d >= 0 && ++idx[d] == batch[d]; d--) idx[d] = 0;
        }
        return new IntegerMatMulLayout
        {
            M = m, N = n, K = k, OutShape = outShape.ToArray(), AOffsets = aOffsets, BOffsets = bOffsets,
            _aBatch = aBatch, _bBatch = bBatch,
        };
    }

    // Strides of an operand's batch dims within the broadcast batch of rank `rank` (0 where broadcast).
    private static int[] BroadcastStrides(int[] own, int rank, int matrix)
    {
        var s = new int[rank];
        int stride = matrix;
        for (int d = own.Length - 1; d >= 0; d--)
        {
            int r = rank - own.Length + d;
            s[r] = own[d] == 1 ? 0 : stride;
            stride *= own[d];
        }
        return s;
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
