using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Shape;

[Trait("Category", "Kernel")]
public class SliceTests
{
    private static readonly Tensor Example = Tensor.From(new float[] { 1, 2, 3, 4, 5, 6, 7, 8 }, 2, 4);

    [Fact]
    public void Onnx_example_with_axes_and_steps()
    {
        var y = new OpCase("Slice").Input(Example).Const(Longs(1, 0)).Const(Longs(2, 3)).Const(Longs(0, 1)).Const(Longs(1, 2)).Run1();
        Assert.Equal([1, 2], y.Shape);
        Assert.Equal(new float[] { 5, 7 }, y.Floats.ToArray());
    }

    [Fact]
    public void Onnx_example_with_negative_end_and_clamped_end()
    {
        var y = new OpCase("Slice").Input(Example).Const(Longs(0, 1)).Const(Longs(-1, 1000)).Run1();
        Assert.Equal(new float[] { 2, 3, 4 }, y.Floats.ToArray());
    }

    [Fact]
    public void Attributes_before_opset_10()
    {
        var y = new OpCase("Slice").WithOpset(9).Input(Example).Attr("starts", Ints(1, 0)).Attr("ends", Ints(2, 3)).Attr("axes", Ints(0, 1)).Run1();
        Assert.Equal(new float[] { 5, 6, 7 }, y.Floats.ToArray());
        var z = new OpCase("Slice").WithOpset(9).Input(Example).Attr("starts", Ints(1)).Attr("ends", Ints(-1)).Attr("axes", Ints(-1)).Run1();
        Assert.Equal(new float[] { 2, 3, 6, 7 }, z.Floats.ToArray());
    }

    [Theory]
    [InlineData(-1, long.MinValue, -1, new float[] { 4, 3, 2, 1, 0 })]
    [InlineData(-1, long.MinValue, -2, new float[] { 4, 2, 0 })]
    [InlineData(3, 0, -1, new float[] { 3, 2, 1 })]
    [InlineData(100, -100, -3, new float[] { 4, 1 })]
    [InlineData(-100, 100, 1, new float[] { 0, 1, 2, 3, 4 })]
    [InlineData(1, long.MaxValue, 3, new float[] { 1, 4 })]
    [InlineData(7, 9, 1, new float[0])]
    [InlineData(2, 2, 1, new float[0])]
    [InlineData(0, 3, long.MaxValue, new float[] { 0 })]
    [InlineData(4, -9, long.MinValue, new float[] { 4 })]
    public void Clamps_and_steps_as_onnx_says(long start, long end, long step, float[] expected)
    {
        var y = new OpCase("Slice").Input(Seq(5)).Const(Longs(start)).Const(Longs(end)).Const(Longs(0)).Const(Longs(step)).Run1();
        Assert.Equal(expected, y.Floats.ToArray());
    }

    [Fact]
    public void Rejects_a_zero_step() =>
        Assert.Throws<ModelException>(() => new OpCase("Slice").Input(Seq(5)).Const(Longs(0)).Const(Longs(3)).Const(Longs(0)).Const(Longs(0)).Run1());

    [Theory]
    [MemberData(nameof(TypeData), MemberType = typeof(TestTensors))]
    public void Odd_shape_with_mixed_steps_for_every_type(DataType type)
    {
        // x: [3,5,7]; axis 2 from 1 by 2 (1,3,5), axis 0 from the end backwards (2,1,0), axis 1 whole.
        var x = SeqOf(type, 3, 5, 7);
        var y = new OpCase("Slice").Input(x).Const(Longs(1, -1)).Const(Longs(7, long.MinValue)).Const(Longs(-1, 0)).Const(Longs(2, -1)).Run1();
        Assert.Equal([3, 5, 3], y.Shape);
        var vx = Values(x);
        var expected = new List<double>();
        foreach (int a in new[] { 2, 1, 0 })
            for (int b = 0; b < 5; b++)
                foreach (int c in new[] { 1, 3, 5 }) expected.Add(vx[a * 35 + b * 7 + c]);
        Assert.Equal(expected, Values(y));
    }

    [Fact]
    public void Gradient_with_positive_steps() =>
        GradCheck.Check(new OpCase("Slice").Input(TensorAssert.Random(1, -1, 1, 4, 5, 3)).Const(Longs(1, 0)).Const(Longs(4, 5)).Const(Longs(0, 1)).Const(Longs(1, 2)));

    [Fact]
    public void Gradient_with_negative_steps() =>
        GradCheck.Check(new OpCase("Slice").Input(TensorAssert.Random(2, -1, 1, 3, 7)).Const(Longs(-2)).Const(Longs(long.MinValue)).Const(Longs(-1)).Const(Longs(-2)));
}
