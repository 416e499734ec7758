using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Shape;

[Trait("Category", "Kernel")]
public class ViewOpTests
{
    private static void AssertIsView(OpCase c) =>
        Assert.Equal("view", Assert.Single(c.Compile().Describe()).Algorithm);

    [Fact]
    public void Reshape_infers_minus_one_and_copies_zero()
    {
        var c = new OpCase("Reshape").Input(Seq(2, 3, 4)).Const(Longs(0, -1));
        var y = c.Run1();
        Assert.Equal([2, 12], y.Shape);
        Assert.Equal(Seq(2, 3, 4).Floats.ToArray(), y.Floats.ToArray());
        AssertIsView(c);
    }

    [Fact]
    public void Reshape_allowzero_takes_zero_literally()
    {
        var y = new OpCase("Reshape").WithOpset(14).Input(Tensor.Zeros(0, 3)).Const(Longs(3, 0)).Attr("allowzero", 1L).Run1();
        Assert.Equal([3, 0], y.Shape);
        // Without allowzero the 0 copies dimension 1 of the input, 3, and 3x3 does not fit 0 elements.
        Assert.Throws<ModelException>(() => new OpCase("Reshape").Input(Tensor.Zeros(0, 3)).Const(Longs(3, 0)).Run1());
    }

    [Fact]
    public void Reshape_before_opset_5_reads_the_shape_attribute()
    {
        var y = new OpCase("Reshape").WithOpset(4).Input(Seq(2, 3, 4)).Attr("shape", Ints(4, -1)).Run1();
        Assert.Equal([4, 6], y.Shape);
    }

    [Fact]
    public void Reshape_to_scalar_and_of_int64()
    {
        var s = new OpCase("Reshape").Input(Tensor.From(new[] { 5L }, 1, 1)).Const(Tensor.Zeros(DataType.Int64, 0)).Run1();
        Assert.Empty(s.Shape);
        Assert.Equal(5L, s.Span<long>()[0]);
        var y = new OpCase("Reshape").Input(SeqLong(3, 5)).Const(Longs(5, 1, -1)).Run1();
        Assert.Equal([5, 1, 3], y.Shape);
        Assert.Equal(SeqLong(15).Span<long>().ToArray(), y.Span<long>().ToArray());
    }

    [Theory]
    [InlineData(new long[] { -1, -1 }, "more than one -1")]
    [InlineData(new long[] { 5, -1 }, "cannot infer")]
    [InlineData(new long[] { 4, 5 }, "cannot reshape")]
    public void Reshape_rejects_bad_shapes(long[] shape, string message)
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("Reshape").Input(Seq(2, 3, 4)).Const(Longs(shape)).Run1());
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Reshape_needs_a_plan_time_shape()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("Reshape").Input(Seq(2, 3)).Input(Longs(3, 2)).Run1());
        Assert.Contains("plan time", e.Message);
    }

    [Fact]
    public void Reshape_gradient() => GradCheck.Check(new OpCase("Reshape").Input(TensorAssert.Random(1, -1, 1, 3, 5)).Const(Longs(5, -1)));

    [Theory]
    [InlineData(0, new[] { 1, 105 })]
    [InlineData(1, new[] { 3, 35 })]
    [InlineData(2, new[] { 15, 7 })]
    [InlineData(3, new[] { 105, 1 })]
    [InlineData(-1, new[] { 15, 7 })]
    [InlineData(-3, new[] { 1, 105 })]
    public void Flatten_splits_at_axis(long axis, int[] expected)
    {
        var y = new OpCase("Flatten").Input(Seq(3, 5, 7)).Attr("axis", axis).Run1();
        Assert.Equal(expected, y.Shape);
        Assert.Equal(104f, y.Floats[104]);
    }

    [Fact]
    public void Flatten_default_axis_and_gradient()
    {
        var c = new OpCase("Flatten").Input(TensorAssert.Random(2, -1, 1, 2, 3, 2));
        Assert.Equal([2, 6], c.Run1().Shape);
        AssertIsView(c);
        GradCheck.Check(c);
    }

    [Fact]
    public void Squeeze_with_attribute_axes_before_opset_13()
    {
        var y = new OpCase("Squeeze").WithOpset(11).Input(Seq(1, 3, 1, 5)).Attr("axes", Ints(-2, 0)).Run1();
        Assert.Equal([3, 5], y.Shape);
    }

    [Fact]
    public void Squeeze_with_input_axes_from_opset_13()
    {
        var y = new OpCase("Squeeze").WithOpset(13).Input(SeqLong(1, 3, 1, 5)).Const(Longs(-4)).Run1();
        Assert.Equal([3, 1, 5], y.Shape);
        Assert.Equal(SeqLong(15).Span<long>().ToArray(), y.Span<long>().ToArray());
    }

    [Fact]
    public void Squeeze_without_axes_removes_every_unit_dimension()
    {
        Assert.Equal([3, 5], new OpCase("Squeeze").Input(Seq(1, 3, 1, 5, 1)).Run1().Shape);
        Assert.Empty(new OpCase("Squeeze").Input(Seq(1, 1)).Run1().Shape);
    }

    [Fact]
    public void Squeeze_rejects_a_dimension_that_is_not_one()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("Squeeze").Input(Seq(1, 3)).Const(Longs(1)).Run1());
        Assert.Contains("not 1", e.Message);
    }

    [Fact]
    public void Squeeze_gradient() => GradCheck.Check(new OpCase("Squeeze").Input(TensorAssert.Random(3, -1, 1, 3, 1, 5)).Const(Longs(1)));

    [Fact]
    public void Unsqueeze_with_attribute_axes_before_opset_13()
    {
        var y = new OpCase("Unsqueeze").WithOpset(11).Input(Seq(3, 4, 5)).Attr("axes", Ints(0, 4)).Run1();
        Assert.Equal([1, 3, 4, 5, 1], y.Shape);
    }

    [Fact]
    public void Unsqueeze_with_negative_input_axes_from_opset_13()
    {
        var y = new OpCase("Unsqueeze").WithOpset(13).Input(Seq(3, 4)).Const(Longs(-1, 0)).Run1();
        Assert.Equal([1, 3, 4, 1], y.Shape);
        var z = new OpCase("Unsqueeze").Input(SeqOf(DataType.Bool, 3)).Const(Longs(2, -3)).Run1();
        Assert.Equal([1, 3, 1], z.Shape);
        Assert.Equal(Values(SeqOf(DataType.Bool, 3)), Values(z));
    }

    [Fact]
    public void Unsqueeze_rejects_repeated_axes()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("Unsqueeze").Input(Seq(3)).Const(Longs(0, -3)).Run1());
        Assert.Contains("twice", e.Message);
    }

    [Fact]
    public void Unsqueeze_gradient() => GradCheck.Check(new OpCase("Unsqueeze").Input(TensorAssert.Random(4, -1, 1, 3, 5)).Const(Longs(1)));

    [Theory]
    [MemberData(nameof(TypeData), MemberType = typeof(TestTensors))]
    public void Identity_passes_every_type_through(DataType type)
    {
        var x = SeqOf(type, 3, 5);
        var c = new OpCase("Identity").Input(x);
        Assert.Equal(Values(x), Values(c.Run1()));
        AssertIsView(c);
    }

    [Fact]
    public void Identity_gradient() => GradCheck.Check(new OpCase("Identity").Input(TensorAssert.Random(5, -1, 1, 7)));

    [Fact]
    public void Views_alias_the_input_buffer()
    {
        var plan = new OpCase("Flatten").Input(Seq(2, 3)).Compile(new PlanOptions { Pool = TestPools.One });
        Assert.Same(plan.Input(0).Storage, plan.Output(0).Storage);
    }
}
