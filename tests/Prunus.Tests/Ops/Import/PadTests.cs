using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Import;

[Trait("Category", "Kernel")]
public class PadTests
{
    private static readonly Tensor Example = Tensor.From(new[] { 1f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f }, 3, 2);

    private static float[] PadExample(string mode, params long[] pads) =>
        new OpCase("Pad").Input(Example).Const(Longs(pads)).Attr("mode", mode).Run1().Floats.ToArray();

    [Fact]
    public void Onnx_examples_for_every_mode()
    {
        Assert.Equal(new[] { 0f, 0f, 1f, 1.2f, 0f, 0f, 2.3f, 3.4f, 0f, 0f, 4.5f, 5.7f }, PadExample("constant", 0, 2, 0, 0));
        Assert.Equal(new[] { 1f, 1.2f, 1f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f, 4.5f, 5.7f }, PadExample("reflect", 0, 2, 0, 0));
        Assert.Equal(new[] { 1f, 1f, 1f, 1.2f, 2.3f, 2.3f, 2.3f, 3.4f, 4.5f, 4.5f, 4.5f, 5.7f }, PadExample("edge", 0, 2, 0, 0));
        Assert.Equal(new[]
        {
            3.4f, 2.3f, 3.4f, 2.3f,
            5.7f, 4.5f, 5.7f, 4.5f,
            1.2f, 1f, 1.2f, 1f,
            3.4f, 2.3f, 3.4f, 2.3f,
            5.7f, 4.5f, 5.7f, 4.5f,
            1.2f, 1f, 1.2f, 1f,
        }, PadExample("wrap", 2, 1, 1, 1));
    }

    [Fact]
    public void Before_opset_11_pads_and_value_are_attributes()
    {
        var y = new OpCase("Pad").WithOpset(2).Input(Seq(2, 2)).Attr("pads", Ints(1, 0, 0, 1)).Attr("value", 1.5f).Run1();
        Assert.Equal([3, 3], y.Shape);
        Assert.Equal(new[] { 1.5f, 1.5f, 1.5f, 0f, 1f, 1.5f, 2f, 3f, 1.5f }, y.Floats.ToArray());
    }

    [Fact]
    public void Constant_value_input_axes_input_and_int64_data()
    {
        // Opset 18: pad only axis -1 of a [2,3] int64 tensor by (1, 2) with -7.
        var y = new OpCase("Pad").WithOpset(18).Input(SeqLong(2, 3)).Const(Longs(1, 2)).Input(Tensor.Scalar(-7L)).Const(Longs(-1)).Run1();
        Assert.Equal([2, 6], y.Shape);
        long b = 1L << 40;
        Assert.Equal(new[] { -7, b, b + 1, b + 2, -7, -7, -7, b + 3, b + 4, b + 5, -7, -7 }, y.Span<long>().ToArray());
    }

    [Fact]
    public void Negative_pads_crop()
    {
        var y = new OpCase("Pad").Input(Seq(3, 4)).Const(Longs(-1, 1, 0, -2)).Run1();
        Assert.Equal([2, 3], y.Shape);
        Assert.Equal(new float[] { 0, 4, 5, 0, 8, 9 }, y.Floats.ToArray());
    }

    [Fact]
    public void Bad_pads_and_modes_are_reported()
    {
        Assert.Throws<ModelException>(() => new OpCase("Pad").Input(Seq(3, 4)).Const(Longs(1, 1)).Run1());
        Assert.Throws<ModelException>(() => new OpCase("Pad").Input(Seq(3, 4)).Const(Longs(0, 0, 0, 0)).Attr("mode", "mirror").Run1());
        Assert.Throws<ModelException>(() => new OpCase("Pad").Input(Seq(3, 4)).Const(Longs(-4, 0, 0, 0)).Run1());
        Assert.Throws<ModelException>(() => new OpCase("Pad").Input(Seq(3, 4)).Input(Longs(1, 1, 1, 1)).Run1());
    }

    public static TheoryData<PadMode> Modes() => new() { PadMode.Constant, PadMode.Reflect, PadMode.Edge, PadMode.Wrap };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Layout_matches_reference_on_odd_shapes(PadMode mode)
    {
        // Pads beyond the axis length (several reflections or wraps), crops, and mixes of both on one axis.
        (int[] Shape, long[] Begins, long[] Ends)[] cases =
        [
            ([7], [3], [9]),
            ([3, 5], [2, -1], [4, 6]),
            ([2, 1, 17], [1, 3, -2], [0, 2, 20]),
            ([4, 3], [-1, 0], [5, -1]),
            ([1, 255], [0, 1], [0, 0]),
        ];
        foreach (var (shape, begins, ends) in cases)
        {
            var layout = PadLayout.Create(shape, begins, ends, mode);
            var x = TensorAssert.Random(shape.Length, -1, 1, shape).Floats.ToArray();
            var fast = new float[layout.Length];
            var reference = new float[layout.Length];
            layout.Forward<float>(x, 9f, fast);
            layout.ForwardReference<float>(x, 9f, reference);
            Assert.Equal(reference, fast);
            var dy = TensorAssert.Random(5, -1, 1, layout.Length).Floats.ToArray();
            var dx = new float[x.Length];
            var dxRef = new float[x.Length];
            layout.Backward(dy, dx);
            layout.BackwardReference(dy, dxRef);
            TensorAssert.Close(dxRef, dx, 1e-5, 1e-6);
        }
    }

    [Theory]
    [InlineData("constant")]
    [InlineData("reflect")]
    [InlineData("edge")]
    [InlineData("wrap")]
    public void Gradient_for_every_mode(string mode) =>
        GradCheck.Check(new OpCase("Pad").Input(TensorAssert.Random(1, -1, 1, 2, 3, 4)).Const(Longs(0, 2, -1, 1, 1, 3)).Attr("mode", mode));
}
