using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Import;

[Trait("Category", "Kernel")]
public class CumSumTests
{
    [Theory]
    [InlineData(0L, 0L, new float[] { 1, 3, 6, 10, 15 })]
    [InlineData(1L, 0L, new float[] { 0, 1, 3, 6, 10 })]
    [InlineData(0L, 1L, new float[] { 15, 14, 12, 9, 5 })]
    [InlineData(1L, 1L, new float[] { 14, 12, 9, 5, 0 })]
    public void Onnx_examples(long exclusive, long reverse, float[] expected)
    {
        var x = Tensor.From(new float[] { 1, 2, 3, 4, 5 }, 5);
        var y = new OpCase("CumSum").Input(x).Const(Tensor.Scalar(0)).Attr("exclusive", exclusive).Attr("reverse", reverse).Run1();
        Assert.Equal(expected, y.Floats.ToArray());
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(1L)]
    [InlineData(-1L)]
    [InlineData(-3L)]
    public void Any_axis_of_int64_matches_running_sums(long axis)
    {
        var x = SeqLong(3, 4, 2);
        var y = new OpCase("CumSum").Input(x).Input(Tensor.Scalar(axis)).Run1();
        int a = (int)(axis < 0 ? axis + 3 : axis);
        int[] shape = [3, 4, 2];
        var strides = ShapeMath.Strides(shape);
        var vx = x.Span<long>().ToArray();
        var expected = new long[vx.Length];
        for (int i = 0; i < vx.Length; i++)
        {
            int coord = i / strides[a] % shape[a];
            for (int j = 0; j <= coord; j++) expected[i] += vx[i - (coord - j) * strides[a]];
        }
        Assert.Equal(expected, y.Span<long>().ToArray());
    }

    [Fact]
    public void Bad_axis_is_reported()
    {
        Assert.Throws<ModelException>(() => new OpCase("CumSum").Input(Seq(3)).Const(Tensor.Scalar(1L)).Run1());
        Assert.Throws<DataException>(() => new OpCase("CumSum").Input(Seq(3)).Input(Tensor.Scalar(-2L)).Run1());
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(1L, 0L)]
    [InlineData(0L, 1L)]
    [InlineData(1L, 1L)]
    public void Gradient_for_every_mode(long exclusive, long reverse) =>
        GradCheck.Check(new OpCase("CumSum").Input(TensorAssert.Random(3, -1, 1, 3, 5, 2)).Const(Tensor.Scalar(1L))
            .Attr("exclusive", exclusive).Attr("reverse", reverse));
}
