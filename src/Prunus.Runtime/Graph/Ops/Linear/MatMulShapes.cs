using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// numpy.matmul's shapes, shared by MatMul, MatMulInteger and QLinearMatMul: A [..., M, K] times B [..., K, N] with
/// broadcast batch dims (a 1-D A is a row [1, K], a 1-D B a column [K, 1], and the added dims are dropped from the
/// result), resolved to one [M, K] x [K, N] product per output batch index with each operand's element offset.
/// </summary>
/// <param name="M">Rows of each product.</param>
/// <param name="N">Columns of each product.</param>
/// <param name="K">The summed dimension.</param>
/// <param name="OutShape">The result's shape.</param>
/// <param name="AOffsets">Element offset of A's matrix for each output batch index.</param>
/// <param name="BOffsets">Element offset of B's matrix for each output batch index.</param>
/// <param name="ABatch">A's own batch dims (without M, K).</param>
/// <param name="BBatch">B's own batch dims (without K, N).</param>
internal sealed record MatMulShapes(int M, int N, int K, int[] OutShape, int[] AOffsets, int[] BOffsets, int[] ABatch, int[] BBatch)
{
    /// <summary>Output batch count (products to compute).</summary>
    public int Batch => AOffsets.Length;

    /// <summary>The shapes of inputs <paramref name="aInput"/> and <paramref name="bInput"/>, or the error that says why they do not multiply.</summary>
    public static MatMulShapes Of(NodeContext ctx, int aInput, int bInput)
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
        return new MatMulShapes(m, n, k, outShape.ToArray(), aOffsets, bOffsets, aBatch, bBatch);
    }

    /// <summary>Element strides of a batch shape right-aligned to <paramref name="rank"/> dims, 0 where broadcast.</summary>
    private static int[] BroadcastStrides(int[] own, int rank, int matrix)
    {
        var s = new int[rank];
        int stride = matrix;
        for (int d = own.Length - 1; d >= 0; d--)
        {
            s[rank - own.Length + d] = own[d] == 1 ? 0 : stride;
            stride *= own[d];
        }
        return s;
    }
}
