using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Spatial;

[Trait("Category", "Kernel")]
public class UpsampleTests
{
    [Fact]
    public void Opset_7_scales_attribute_repeats_pixels()
    {
        var x = Tensor.From(new[] { 1f, 2f, 3f, 4f }, 1, 1, 2, 2);
        var y = new OpCase("Upsample").Input(x).Attr("scales", Prunus.Graph.AttributeValue.Of(new[] { 1f, 1f, 2f, 3f })).WithOpset(7).Run1();
        Assert.Equal([1, 1, 4, 6], y.Shape);
        Assert.Equal(new float[] { 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4 }, y.Floats.ToArray());
    }

    [Fact]
    public void Opset_9_scales_input_and_linear_at_asymmetric_coordinates()
    {
        // x/2.5 over [0, 10, 20]: coordinates 0, 0.4, 0.8, 1.2, 1.6, 2, 2.4 (clamped).
        var x = Tensor.From(new[] { 0f, 10f, 20f }, 1, 3);
        var y = new OpCase("Upsample").Input(x).Const(Tensor.From(new[] { 1f, 2.5f }, 2)).Attr("mode", "linear").WithOpset(9).Run1();
        Assert.Equal([1, 7], y.Shape);
        TensorAssert.Close([0f, 4f, 8f, 12f, 16f, 20f, 20f], y.Floats, 1e-5, 1e-5);
        // Nearest at a fractional scale takes floor(x / 2.5): 0, 0, 0, 1, 1, 2, 2.
        var z = new OpCase("Upsample").Input(x).Const(Tensor.From(new[] { 1f, 2.5f }, 2)).WithOpset(9).Run1();
        Assert.Equal(new float[] { 0, 0, 0, 10, 10, 20, 20 }, z.Floats.ToArray());
    }

    [Fact]
    public void Rejects_cubic_and_the_opset_1_form()
    {
        var x = TensorAssert.Random(1, -1, 1, 1, 1, 2, 2);
        Assert.Contains("mode 'cubic'", Assert.Throws<ModelException>(() =>
            new OpCase("Upsample").Input(x).Const(Tensor.From(new[] { 1f, 1f, 2f, 2f }, 4)).Attr("mode", "cubic").WithOpset(9).Run1()).Message);
        Assert.Contains("height_scale", Assert.Throws<ModelException>(() =>
            new OpCase("Upsample").Input(x).Attr("height_scale", 2f).Attr("width_scale", 2f).WithOpset(7).Run1()).Message);
    }

    [Theory]
    [InlineData("nearest")]
    [InlineData("linear")]
    public void Gradient_matches_finite_differences(string mode) =>
        GradCheck.Check(new OpCase("Upsample").Input(TensorAssert.Random(2, -1, 1, 1, 2, 3, 4)).Const(Tensor.From(new[] { 1f, 1f, 2f, 1.5f }, 4))
            .Attr("mode", mode).WithOpset(9));
}
