using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Shape;

/// <summary>GatherElements: hand values along each axis, negative indices, smaller index shapes, types, gradients, errors.</summary>
[Trait("Category", "Kernel")]
public class GatherElementsTests
{
    private static Tensor F(float[] v, params int[] shape) => Tensor.From(v, shape);
    private static Tensor L(long[] v, params int[] shape) => Tensor.From(v, shape);

    [Fact]
    public void Gathers_along_axis_0_and_1()
    {
        // data [[1, 2], [3, 4]]; the ONNX specification's examples.
        var data = F([1, 2, 3, 4], 2, 2);
        var y1 = new OpCase("GatherElements").Input(data).Const(L([0, 0, 1, 0], 2, 2)).Attr("axis", 1L).Run1();
        Assert.Equal(new[] { 1f, 1, 4, 3 }, y1.Floats.ToArray());
        var data3 = F([1, 2, 3, 4, 5, 6, 7, 8, 9], 3, 3);
        var y0 = new OpCase("GatherElements").Input(data3).Const(L([1, 2, 0, 2, 0, 0], 2, 3)).Run1();
        Assert.Equal(new[] { 2, 3 }, y0.Shape);
        Assert.Equal(new[] { 4f, 8, 3, 7, 2, 3 }, y0.Floats.ToArray());
    }

    [Fact]
    public void Negative_indices_count_from_the_end_and_int32_indices_work()
    {
        var data = F([1, 2, 3, 4, 5, 6], 2, 3);
        var y = new OpCase("GatherElements").Input(data).Input(Tensor.From(new[] { -1, 0, -3, 2 }, 2, 2)).Attr("axis", -1L).Run1();
        Assert.Equal(new[] { 3f, 1, 4, 6 }, y.Floats.ToArray());
    }

    [Fact]
    public void Matches_a_reference_on_rank_3_with_a_smaller_index_shape()
    {
        var data = TensorAssert.Random(1, -1, 1, 3, 4, 5);
        var rng = new Random(2);
        int[] shape = [2, 6, 3];   // axis 1 may be longer than data's; the others at most as long
        var idx = Tensor.Zeros(DataType.Int64, shape);
        foreach (ref var v in idx.Span<long>()) v = rng.Next(-4, 4);
        var y = new OpCase("GatherElements").Input(data).Input(idx).Attr("axis", 1L).Run1();
        Assert.Equal(shape, y.Shape);
        int p = 0;
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 6; b++)
                for (int c = 0; c < 3; c++, p++)
                {
                    long j = idx.Span<long>()[p];
                    if (j < 0) j += 4;
                    Assert.Equal(data.Floats[(a * 4 + (int)j) * 5 + c], y.Floats[p]);
                }
    }

    [Fact]
    public void Moves_int64_data()
    {
        var y = new OpCase("GatherElements").Input(L([10, 20, 30], 3)).Const(L([2, 2, 0, 1], 4)).Run1();
        Assert.Equal(DataType.Int64, y.Type);
        Assert.Equal(new long[] { 30, 30, 10, 20 }, y.ToInt64Array());
    }

    [Fact]
    public void Gradient_adds_repeated_indices()
    {
        var c = new OpCase("GatherElements").Input(TensorAssert.Random(4, -1, 1, 3, 4)).Const(L([0, 0, 3, 1, 2, 2, 2, 2, 1, 0, 0, 3], 3, 4)).Attr("axis", 1L);
        GradCheck.Check(c, maxPoints: 12);
    }

    [Fact]
    public void Bad_ranks_shapes_and_indices_are_refused()
    {
        var data = F([1, 2, 3, 4], 2, 2);
        Assert.Contains("rank", Assert.Throws<ModelException>(() => new OpCase("GatherElements").Input(data).Const(L([0, 1], 2)).Run1()).Message);
        Assert.Contains("exceed", Assert.Throws<ModelException>(() => new OpCase("GatherElements").Input(data).Const(L([0, 0, 0], 3, 1)).Attr("axis", 1L).Run1()).Message);
        Assert.Contains("out of range", Assert.Throws<ModelException>(() => new OpCase("GatherElements").Input(data).Const(L([0, 2], 1, 2)).Run1()).Message);
        Assert.Throws<DataException>(() => new OpCase("GatherElements").Input(data).Input(L([0, -3], 1, 2)).Run1());
    }
}
