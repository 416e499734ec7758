using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

[Trait("Category", "Kernel")]
public class MatMulTests
{
    /// <summary>numpy.matmul by index arithmetic on the broadcast output, in double.</summary>
    private static Tensor Reference(Tensor a, Tensor b)
    {
        var a2 = a.Rank == 1 ? new[] { 1, a.Shape[0] } : a.Shape;
        var b2 = b.Rank == 1 ? new[] { b.Shape[0], 1 } : b.Shape;
        int m = a2[^2], k = a2[^1], n = b2[^1];
        var batch = ShapeMath.Broadcast(a2[..^2], b2[..^2]);
        var outShape = new List<int>(batch);
        if (a.Rank > 1) outShape.Add(m);
        if (b.Rank > 1) outShape.Add(n);
        var y = Tensor.Zeros(outShape.ToArray());
        int count = ShapeMath.Size(batch);
        int Offset(int[] shape, int t)
        {
            // Batch index t of the broadcast shape, mapped into an operand's own (right-aligned) batch dims.
            int off = 0, stride = 1, rem = t;
            var idx = new int[batch.Length];
            for (int d = batch.Length - 1; d >= 0; d--) { idx[d] = rem % batch[d]; rem /= batch[d]; }
            var own = shape[..^2];
            for (int d = own.Length - 1; d >= 0; d--)
            {
                int i = own[d] == 1 ? 0 : idx[batch.Length - own.Length + d];
                off += i * stride;
                stride *= own[d];
            }
            return off;
        }
        for (int t = 0; t < count; t++)
        {
            int ao = Offset(a2, t) * m * k, bo = Offset(b2, t) * k * n;
            for (int i = 0; i < m; i++)
                for (int j = 0; j < n; j++)
                {
                    double s = 0;
                    for (int p = 0; p < k; p++) s += (double)a.Floats[ao + i * k + p] * b.Floats[bo + p * n + j];
                    y.Floats[t * m * n + i * n + j] = (float)s;
                }
        }
        return y;
    }

    public static TheoryData<int[], int[], int[]> ShapeData() => new()
    {
        { [3, 4], [4, 5], [3, 5] },
        { [4], [4, 5], [5] },
        { [3, 4], [4], [3] },
        { [4], [4], [] },
        { [2, 3, 4], [4, 5], [2, 3, 5] },
        { [2, 3, 4], [2, 4, 5], [2, 3, 5] },
        { [2, 1, 3, 4], [5, 4, 2], [2, 5, 3, 2] },
        { [3, 4], [2, 4, 5], [2, 3, 5] },
        { [2, 3, 4], [4], [2, 3] },
        { [4], [3, 4, 2], [3, 2] },
        { [1, 17, 33], [33, 9], [1, 17, 9] },
    };

    [Theory]
    [MemberData(nameof(ShapeData))]
    public void Forward_matches_reference(int[] aShape, int[] bShape, int[] yShape)
    {
        var a = TensorAssert.Random(1, -1, 1, aShape);
        var b = TensorAssert.Random(2, -1, 1, bShape);
        var expected = Reference(a, b);
        Assert.Equal(yShape, expected.Shape);
        TensorAssert.Close(expected, new OpCase("MatMul").Input(a).Input(b).Run1(), rtol: 1e-5, atol: 1e-5);
        // A constant B takes the pre-packed path when it is one matrix shared by all batches.
        TensorAssert.Close(expected, new OpCase("MatMul").Input(a).Const(b).Run1(), rtol: 1e-5, atol: 1e-5);
    }

    public static TheoryData<int[], int[]> OperandData()
    {
        var d = new TheoryData<int[], int[]>();
        foreach (var row in ShapeData()) d.Add((int[])row[0], (int[])row[1]);
        return d;
    }

    [Theory]
    [MemberData(nameof(OperandData))]
    public void Gradients_match_finite_differences(int[] aShape, int[] bShape)
    {
        GradCheck.Check(new OpCase("MatMul").Input(TensorAssert.Random(3, -1, 1, aShape)).Input(TensorAssert.Random(4, -1, 1, bShape)));
    }

    [Fact]
    public void Batched_products_larger_than_the_threading_threshold_match_reference()
    {
        var a = TensorAssert.Random(5, -1, 1, 3, 70, 90);
        var b = TensorAssert.Random(6, -1, 1, 3, 90, 120);
        TensorAssert.Close(Reference(a, b), new OpCase("MatMul").Input(a).Input(b).Run1(), rtol: 1e-4, atol: 1e-4);
    }

    [Fact]
    public void Rejects_mismatched_inner_dimensions_and_batches()
    {
        var e = Assert.ThrowsAny<PrunusException>(() => new OpCase("MatMul").Input(Tensor.Zeros(2, 3)).Input(Tensor.Zeros(4, 5)).Run1());
        Assert.Contains("inner dimensions differ", e.Message);
        e = Assert.ThrowsAny<PrunusException>(() => new OpCase("MatMul").Input(Tensor.Zeros(2, 2, 3)).Input(Tensor.Zeros(3, 3, 5)).Run1());
        Assert.Contains("do not broadcast", e.Message);
    }
}
