using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Import;

[Trait("Category", "Kernel")]
public class ArgTopKTests
{
    private static readonly Tensor Example = Tensor.From(new float[] { 2, 1, 3, 10 }, 2, 2);

    [Fact]
    public void ArgMax_and_ArgMin_onnx_examples()
    {
        var y = new OpCase("ArgMax").Input(Example).Run1();
        Assert.Equal(DataType.Int64, y.Type);
        Assert.Equal([1, 2], y.Shape);
        Assert.Equal(new long[] { 1, 1 }, y.Span<long>().ToArray());
        var z = new OpCase("ArgMax").Input(Example).Attr("axis", 1L).Attr("keepdims", 0L).Run1();
        Assert.Equal([2], z.Shape);
        Assert.Equal(new long[] { 0, 1 }, z.Span<long>().ToArray());
        var m = new OpCase("ArgMin").Input(Example).Attr("axis", -1L).Run1();
        Assert.Equal([2, 1], m.Shape);
        Assert.Equal(new long[] { 1, 0 }, m.Span<long>().ToArray());
    }

    [Fact]
    public void Ties_go_first_or_last()
    {
        var ties = Tensor.From(new float[] { 2, 2, 3, 10 }, 2, 2);
        Assert.Equal(new long[] { 0, 1 }, new OpCase("ArgMax").Input(ties).Attr("axis", 1L).Run1().Span<long>().ToArray());
        Assert.Equal(new long[] { 1, 1 }, new OpCase("ArgMax").Input(ties).Attr("axis", 1L).Attr("select_last_index", 1L).Run1().Span<long>().ToArray());
        Assert.Equal(new long[] { 1, 0 }, new OpCase("ArgMin").Input(ties).Attr("axis", 1L).Attr("select_last_index", 1L).Run1().Span<long>().ToArray());
    }

    [Theory]
    [InlineData(DataType.Int64)]
    [InlineData(DataType.Int32)]
    [InlineData(DataType.Int8)]
    [InlineData(DataType.UInt8)]
    [InlineData(DataType.Float64)]
    public void Middle_axis_of_every_numeric_type_matches_a_scan(DataType type)
    {
        // x [3,5,4] of small random integers (ties included) over axis 1: a plain scan per (a, c), first extreme wins.
        var x = Tensor.Zeros(type, 3, 5, 4);
        TypeConversion.Convert(TensorAssert.Random(5, 0, 6, 3, 5, 4), x);
        var v = Values(x);
        var lows = new OpCase("ArgMin").Input(x).Attr("axis", 1L).Attr("keepdims", 0L).Run1();
        var highs = new OpCase("ArgMax").Input(x).Attr("axis", 1L).Attr("keepdims", 0L).Run1();
        Assert.Equal([3, 4], highs.Shape);
        for (int a = 0; a < 3; a++)
            for (int c = 0; c < 4; c++)
            {
                int lo = 0, hi = 0;
                for (int j = 1; j < 5; j++)
                {
                    if (v[a * 20 + j * 4 + c] < v[a * 20 + lo * 4 + c]) lo = j;
                    if (v[a * 20 + j * 4 + c] > v[a * 20 + hi * 4 + c]) hi = j;
                }
                Assert.Equal(lo, lows.Span<long>()[a * 4 + c]);
                Assert.Equal(hi, highs.Span<long>()[a * 4 + c]);
            }
    }

    [Fact]
    public void TopK_onnx_example_largest_and_smallest()
    {
        var x = Seq(3, 4);
        var r = new OpCase("TopK").Input(x).Const(Longs(3)).Attr("axis", 1L).Outputs(2).Run();
        Assert.Equal([3, 3], r[0].Shape);
        Assert.Equal(new float[] { 3, 2, 1, 7, 6, 5, 11, 10, 9 }, r[0].Floats.ToArray());
        Assert.Equal(new long[] { 3, 2, 1, 3, 2, 1, 3, 2, 1 }, r[1].Span<long>().ToArray());
        var s = new OpCase("TopK").Input(x).Const(Longs(2)).Attr("largest", 0L).Outputs(2).Run();
        Assert.Equal(new float[] { 0, 1, 4, 5, 8, 9 }, s[0].Floats.ToArray());
        Assert.Equal(new long[] { 0, 1, 0, 1, 0, 1 }, s[1].Span<long>().ToArray());
    }

    [Fact]
    public void TopK_before_opset_10_takes_k_as_attribute()
    {
        var r = new OpCase("TopK").WithOpset(9).Input(Seq(3, 4)).Attr("k", 1L).Attr("axis", 0L).Outputs(2).Run();
        Assert.Equal([1, 4], r[0].Shape);
        Assert.Equal(new float[] { 8, 9, 10, 11 }, r[0].Floats.ToArray());
        Assert.Equal(new long[] { 2, 2, 2, 2 }, r[1].Span<long>().ToArray());
    }

    [Fact]
    public void TopK_ties_keep_position_order_and_bad_k_is_reported()
    {
        var r = new OpCase("TopK").Input(Tensor.From(new long[] { 1, 3, 3, 2, 3 }, 5)).Const(Longs(3)).Outputs(2).Run();
        Assert.Equal(new long[] { 3, 3, 3 }, r[0].Span<long>().ToArray());
        Assert.Equal(new long[] { 1, 2, 4 }, r[1].Span<long>().ToArray());
        Assert.Throws<ModelException>(() => new OpCase("TopK").Input(Seq(3)).Const(Longs(4)).Outputs(2).Run());
        Assert.Throws<ModelException>(() => new OpCase("TopK").Input(Seq(3)).Input(Longs(1)).Outputs(2).Run());
    }

    [Theory]
    [InlineData(1, 1, 1, 1)]
    [InlineData(2, 7, 3, 4)]
    [InlineData(3, 17, 1, 17)]
    [InlineData(1, 255, 2, 5)]
    [InlineData(1, 1000, 1, 0)]
    [InlineData(2, 1000, 1, 37)]
    public void TopK_kernel_matches_selection_reference(int outer, int n, int inner, int k)
    {
        var rng = new Random(n + k);
        // Few distinct values, so ties are common; one NaN, which orders above every number.
        var x = Enumerable.Range(0, outer * n * inner).Select(_ => (float)rng.Next(9)).ToArray();
        x[x.Length / 2] = float.NaN;
        foreach (bool largest in new[] { true, false })
        {
            var v = new float[outer * k * inner];
            var i = new long[v.Length];
            var rv = new float[v.Length];
            var ri = new long[v.Length];
            AxisSearch.TopK<float>(x, outer, n, inner, k, largest, v, i, new float[n], new int[k]);
            AxisSearch.TopKReference<float>(x, outer, n, inner, k, largest, rv, ri);
            Assert.Equal(ri, i);
            Assert.Equal(rv, v);
        }
    }

    [Fact]
    public void TopK_gradient_goes_to_the_chosen_positions()
    {
        // Values 0.1 apart, so that the finite-difference steps never reorder them.
        var x = Tensor.From(Enumerable.Range(0, 36).Select(i => i * 0.1f - 1.8f).OrderBy(v => new Random((int)(v * 1000)).Next()).ToArray(), 3, 6, 2);
        GradCheck.Check(new OpCase("TopK").Input(x).Const(Longs(3)).Attr("axis", 1L).Outputs(2));
    }
}
