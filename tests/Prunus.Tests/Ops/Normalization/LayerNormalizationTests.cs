using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Normalization;

[Trait("Category", "Kernel")]
public class LayerNormalizationTests
{
    [Fact]
    public void Normalizes_the_last_axis_by_hand()
    {
        // Row [1,2,3]: mean 2, variance 2/3; row [2,4,6]: mean 4, variance 8/3.
        var x = Tensor.From(new[] { 1f, 2f, 3f, 2f, 4f, 6f }, 2, 3);
        var ys = new OpCase("LayerNormalization").Input(x).Const(Tensor.From(new[] { 1f, 2f, -1f }, 3)).Const(Tensor.From(new[] { 0f, 1f, 0.5f }, 3))
            .Attr("epsilon", 1e-3f).Outputs(3).Run();
        double i1 = 1 / Math.Sqrt(2.0 / 3 + 1e-3), i2 = 1 / Math.Sqrt(8.0 / 3 + 1e-3);
        TensorAssert.Close([(float)-i1, 1, (float)(-i1 + 0.5), (float)(-2 * i2), 1, (float)(-2 * i2 + 0.5)], ys[0].Floats, rtol: 1e-5);
        Assert.Equal([2, 1], ys[1].Shape);
        TensorAssert.Close([2f, 4f], ys[1].Floats);
        TensorAssert.Close([(float)i1, (float)i2], ys[2].Floats, rtol: 1e-5);
    }

    [Fact]
    public void Normalizes_from_axis_1_over_two_dimensions()
    {
        var x = TensorAssert.Random(1, -3, 3, 2, 3, 5);
        var scale = TensorAssert.Random(2, 0.5f, 2, 3, 5);
        var ys = new OpCase("LayerNormalization").Input(x).Const(scale).Attr("axis", 1L).Outputs(3).Run();
        Assert.Equal([2, 1, 1], ys[1].Shape);
        for (int r = 0; r < 2; r++)
        {
            var row = x.Floats.Slice(r * 15, 15).ToArray();
            double m = row.Average(), v = row.Select(a => (a - m) * (a - m)).Average(), inv = 1 / Math.Sqrt(v + 1e-5);
            for (int i = 0; i < 15; i++)
                Assert.Equal((row[i] - m) * inv * scale.Floats[i], ys[0].Floats[r * 15 + i], 1e-4);
            Assert.Equal(m, ys[1].Floats[r], 1e-5);
            Assert.Equal(inv, ys[2].Floats[r], 1e-4);
        }
    }

    [Fact]
    public void Rejects_a_scale_of_the_wrong_shape()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("LayerNormalization").Input(TensorAssert.Random(1, 0, 1, 2, 3, 5)).Const(Tensor.Zeros(5)).Attr("axis", 1L).Run1());
        Assert.Contains("normalized dimensions", e.Message);
    }

    [Fact]
    public void Gradient_for_x_scale_and_bias() =>
        GradCheck.Check(new OpCase("LayerNormalization").Input(TensorAssert.Random(3, -2, 2, 4, 7)).Input(TensorAssert.Random(4, 0.5f, 2, 7))
            .Input(TensorAssert.Random(5, -1, 1, 7)), eps: 1e-3f);

    [Fact]
    public void Gradient_over_two_axes_without_bias() =>
        GradCheck.Check(new OpCase("LayerNormalization").Input(TensorAssert.Random(6, -2, 2, 3, 2, 5)).Input(TensorAssert.Random(7, 0.5f, 2, 2, 5))
            .Attr("axis", -2L), eps: 1e-3f);

    [Fact]
    public void Large_input_runs_in_parallel_chunks()
    {
        var x = TensorAssert.Random(8, -3, 3, 300, 129);
        var scale = TensorAssert.Random(9, 0.5f, 2, 129);
        var y = new OpCase("LayerNormalization").Input(x).Const(scale).Run1();
        var expected = new float[x.Length];
        for (int r = 0; r < 300; r++)
            Prunus.Kernels.LayerNorm.RowReference(x.Floats.Slice(r * 129, 129), scale.Floats, default, 1e-5f, expected.AsSpan(r * 129, 129), out _, out _);
        TensorAssert.Close(expected, y.Floats, rtol: 1e-4, atol: 1e-5);
    }
}
