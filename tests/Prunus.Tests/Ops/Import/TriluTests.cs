using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Import;

[Trait("Category", "Kernel")]
public class TriluTests
{
    // Plain rule: element (i, j) of each matrix is kept when j - i >= k (upper) or j - i <= k (lower).
    private static double[] Reference(double[] x, int batch, int rows, int cols, long k, bool upper)
    {
        var y = (double[])x.Clone();
        for (int b = 0; b < batch; b++)
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                    if (upper ? j - i < k : j - i > k) y[(b * rows + i) * cols + j] = 0;
        return y;
    }

    [Theory]
    [InlineData(true, 0L)]
    [InlineData(true, 1L)]
    [InlineData(true, -1L)]
    [InlineData(false, 0L)]
    [InlineData(false, -2L)]
    [InlineData(false, 3L)]
    [InlineData(true, 9L)]
    [InlineData(false, -9L)]
    [InlineData(true, long.MinValue)]
    [InlineData(false, long.MaxValue)]
    public void Matches_the_rule_for_any_k(bool upper, long k)
    {
        var x = TensorAssert.Random(1, 1, 2, 2, 3, 4);
        var y = new OpCase("Trilu").Input(x).Const(Longs(k)).Attr("upper", upper ? 1L : 0L).Run1();
        Assert.Equal(Reference(Values(x), 2, 3, 4, k, upper), Values(y));
    }

    [Fact]
    public void Default_is_upper_with_k_zero_and_k_may_vary()
    {
        var x = Seq(3, 3);
        Assert.Equal(new float[] { 0, 1, 2, 0, 4, 5, 0, 0, 8 }, new OpCase("Trilu").Input(x).Run1().Floats.ToArray());
        var c = new OpCase("Trilu").Input(x).Input(Tensor.Scalar(-1L)).Attr("upper", 0L);
        Assert.Equal(new float[] { 0, 0, 0, 3, 0, 0, 6, 7, 0 }, c.Run1().Floats.ToArray());
    }

    [Theory]
    [MemberData(nameof(TypeData), MemberType = typeof(Shape.TestTensors))]
    public void Works_for_every_type(DataType type)
    {
        var x = SeqOf(type, 2, 4, 3);
        var y = new OpCase("Trilu").Input(x).Const(Longs(1)).Attr("upper", 0L).Run1();
        Assert.Equal(Reference(Values(x), 2, 4, 3, 1, false), Values(y));
    }

    [Fact]
    public void Rejects_vectors() => Assert.Throws<ModelException>(() => new OpCase("Trilu").Input(Seq(4)).Run1());

    [Fact]
    public void Gradient_passes_only_kept_elements() =>
        GradCheck.Check(new OpCase("Trilu").Input(TensorAssert.Random(2, -1, 1, 2, 4, 5)).Const(Longs(1)));
}
