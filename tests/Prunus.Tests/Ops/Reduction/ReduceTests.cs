using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Reduction;

[Trait("Category", "Kernel")]
public class ReduceTests
{
    // x = [[[0,1,2],[3,4,5]], [[6,7,8],[9,10,11]]]: shape [2,2,3].
    private static readonly Tensor X = Seq(2, 2, 3);

    [Fact]
    public void ReduceMean_with_attribute_axes_before_opset_18()
    {
        var y = new OpCase("ReduceMean").WithOpset(17).Input(X).Attr("axes", Ints(1)).Attr("keepdims", 0L).Run1();
        Assert.Equal([2, 3], y.Shape);
        Assert.Equal(new float[] { 1.5f, 2.5f, 3.5f, 7.5f, 8.5f, 9.5f }, y.Floats.ToArray());
    }

    [Fact]
    public void ReduceMean_with_input_axes_from_opset_18()
    {
        var y = new OpCase("ReduceMean").WithOpset(18).Input(X).Const(Longs(-1, 0)).Run1();
        Assert.Equal([1, 2, 1], y.Shape);
        Assert.Equal(new float[] { 4f, 7f }, y.Floats.ToArray());
    }

    [Fact]
    public void ReduceSum_attribute_before_13_and_input_from_13_agree()
    {
        var a = new OpCase("ReduceSum").WithOpset(11).Input(X).Attr("axes", Ints(0, 2)).Run1();
        var b = new OpCase("ReduceSum").WithOpset(13).Input(X).Const(Longs(2, -3)).Run1();
        Assert.Equal([1, 2, 1], a.Shape);
        Assert.Equal(new float[] { 0 + 1 + 2 + 6 + 7 + 8, 3 + 4 + 5 + 9 + 10 + 11 }, a.Floats.ToArray());
        Assert.Equal(a.Floats.ToArray(), b.Floats.ToArray());
    }

    [Fact]
    public void No_axes_reduces_everything()
    {
        var keep = new OpCase("ReduceSum").Input(X).Run1();
        Assert.Equal([1, 1, 1], keep.Shape);
        Assert.Equal(66f, keep.Floats[0]);
        var scalar = new OpCase("ReduceMean").Input(X).Attr("keepdims", 0L).Run1();
        Assert.Empty(scalar.Shape);
        Assert.Equal(5.5f, scalar.Floats[0]);
        var empty = new OpCase("ReduceSum").WithOpset(13).Input(X).Const(Tensor.Zeros(DataType.Int64, 0)).Run1();
        Assert.Equal(66f, empty.Floats[0]);
    }

    [Fact]
    public void Noop_with_empty_axes_is_the_identity()
    {
        var y = new OpCase("ReduceSum").WithOpset(13).Input(X).Const(Tensor.Zeros(DataType.Int64, 0)).Attr("noop_with_empty_axes", 1L).Run1();
        Assert.Equal(X.Shape, y.Shape);
        Assert.Equal(X.Floats.ToArray(), y.Floats.ToArray());
        var z = new OpCase("ReduceMean").WithOpset(18).Input(X).Attr("noop_with_empty_axes", 1L).Run1();
        Assert.Equal(X.Floats.ToArray(), z.Floats.ToArray());
    }

    [Fact]
    public void Max_min_prod_and_l2_by_hand()
    {
        var x = Tensor.From(new[] { 1f, -2f, 3f, 0.5f, 4f, -1f }, 2, 3);
        Assert.Equal(new[] { 3f, 4f }, new OpCase("ReduceMax").Input(x).Attr("axes", Ints(1)).Run1().Floats.ToArray());
        Assert.Equal(new[] { 0.5f, -2f, -1f }, new OpCase("ReduceMin").Input(x).Attr("axes", Ints(0)).Attr("keepdims", 0L).Run1().Floats.ToArray());
        Assert.Equal(new[] { -6f, -2f }, new OpCase("ReduceProd").Input(x).Attr("axes", Ints(-1)).Run1().Floats.ToArray());
        TensorAssert.Close([MathF.Sqrt(14), MathF.Sqrt(17.25f)], new OpCase("ReduceL2").Input(x).Attr("axes", Ints(1)).Run1().Floats);
    }

    [Fact]
    public void Odd_shape_against_a_plain_loop()
    {
        var x = TensorAssert.Random(1, -1, 1, 3, 5, 7, 2);
        var y = new OpCase("ReduceMean").Input(x).Attr("axes", Ints(1, 3)).Attr("keepdims", 0L).Run1();
        Assert.Equal([3, 7], y.Shape);
        for (int a = 0; a < 3; a++)
            for (int c = 0; c < 7; c++)
            {
                double s = 0;
                for (int b = 0; b < 5; b++)
                    for (int d = 0; d < 2; d++) s += x.Floats[((a * 5 + b) * 7 + c) * 2 + d];
                Assert.Equal(s / 10, y.Floats[a * 7 + c], 1e-5);
            }
    }

    [Fact]
    public void Rejects_repeated_axes_and_integer_input()
    {
        Assert.Throws<ModelException>(() => new OpCase("ReduceSum").Input(X).Attr("axes", Ints(1, -2)).Run1());
        Assert.Throws<ModelException>(() => new OpCase("ReduceSum").Input(SeqLong(2, 3)).Run1());
    }

    [Theory]
    [InlineData("ReduceSum", new long[] { 0, 2 }, 1L)]
    [InlineData("ReduceSum", new long[] { 1 }, 0L)]
    [InlineData("ReduceMean", new long[] { -1 }, 0L)]
    [InlineData("ReduceMean", new long[] { 0, 1, 2 }, 1L)]
    public void Gradient(string op, long[] axes, long keepdims) =>
        GradCheck.Check(new OpCase(op).Input(TensorAssert.Random(2, -1, 1, 3, 4, 5)).Attr("axes", Ints(axes)).Attr("keepdims", keepdims));

    [Fact]
    public void Gradient_with_input_axes() =>
        GradCheck.Check(new OpCase("ReduceMean").WithOpset(18).Input(TensorAssert.Random(3, -1, 1, 3, 5)).Const(Longs(0)));

    /// <summary>Distinct values 0.1 apart in shuffled order, so that finite differences never change which element is selected.</summary>
    private static Tensor Distinct(int seed, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        var rng = new Random(seed);
        var order = Enumerable.Range(0, t.Length).OrderBy(_ => rng.Next()).ToArray();
        for (int i = 0; i < t.Length; i++) t.Floats[i] = order[i] * 0.1f - t.Length * 0.05f;
        return t;
    }

    [Theory]
    [InlineData("ReduceMax", new long[] { 1 }, 1L)]
    [InlineData("ReduceMax", new long[] { 0, 2 }, 0L)]
    [InlineData("ReduceMin", new long[] { -1 }, 0L)]
    [InlineData("ReduceMin", new long[] { 0, 1, 2 }, 1L)]
    public void Gradient_of_max_and_min(string op, long[] axes, long keepdims) =>
        GradCheck.Check(new OpCase(op).Input(Distinct(5, 3, 4, 5)).Attr("axes", Ints(axes)).Attr("keepdims", keepdims));

    [Fact]
    public void Max_gradient_is_shared_among_ties()
    {
        var plan = new OpCase("ReduceMax").Input(Tensor.From(new[] { 1f, 3f, 3f, 2f, 5f, 4f }, 2, 3)).Attr("axes", Ints(1))
            .Compile(new Prunus.Graph.Planning.PlanOptions { InputGradients = new HashSet<string> { "in0" }, Pool = TestPools.One });
        plan.Run();
        plan.OutputGradient().CopyFrom(Tensor.From(new[] { 1f, 10f }, 2, 1));
        plan.Backward();
        Assert.Equal(new[] { 0f, 0.5f, 0.5f, 0f, 10f, 0f }, plan.Gradient("in0").Floats.ToArray());
    }

    [Theory]
    [InlineData(new long[] { 1 })]
    [InlineData(new long[] { 0, 2 })]
    public void Gradient_of_l2_and_prod(long[] axes)
    {
        GradCheck.Check(new OpCase("ReduceL2").Input(TensorAssert.AwayFromZero(6, 0.2f, 1, 3, 4, 5)).Attr("axes", Ints(axes)));
        GradCheck.Check(new OpCase("ReduceProd").Input(TensorAssert.AwayFromZero(7, 0.5f, 1.5f, 3, 4, 5)).Attr("axes", Ints(axes)));
    }

    [Fact]
    public void Prod_gradient_is_exact_with_zeros()
    {
        var plan = new OpCase("ReduceProd").Input(Tensor.From(new[] { 2f, 0f, 3f, 0f, 0f, 3f, 1f, 2f, 4f }, 3, 3)).Attr("axes", Ints(1))
            .Compile(new Prunus.Graph.Planning.PlanOptions { InputGradients = new HashSet<string> { "in0" }, Pool = TestPools.One });
        plan.Run();
        Assert.Equal(new[] { 0f, 0f, 8f }, plan.Output(0).Floats.ToArray());
        plan.OutputGradient().CopyFrom(Tensor.From(new[] { 1f, 1f, 1f }, 3, 1));
        plan.Backward();
        Assert.Equal(new[] { 0f, 6f, 0f, 0f, 0f, 0f, 8f, 4f, 2f }, plan.Gradient("in0").Floats.ToArray());
    }
}
