using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

/// <summary>Opset 6 forms found by the ONNX backend conformance walk (PyTorch's exports of that era).</summary>
[Trait("Category", "Kernel")]
public class LegacyOpsetTests
{
    [Fact]
    public void Opset_6_broadcast_aligns_B_from_the_axis_attribute()
    {
        // A [2,3,2], B [3] at axis 1: B is added along the middle axis (NumPy alignment would need [3,1]).
        var a = Tensor.Zeros(2, 3, 2);
        var b = Tensor.From(new[] { 1f, 2f, 3f }, 3);
        var y = new OpCase("Add").Input(a).Input(b).Attr("broadcast", 1L).Attr("axis", 1L).WithOpset(6).Run1();
        Assert.Equal([2, 3, 2], y.Shape);
        Assert.Equal(new float[] { 1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3 }, y.Floats.ToArray());
        var i = new OpCase("Mul").Input(Tensor.From(new long[] { 1, 2, 3, 4 }, 2, 2)).Input(Tensor.From(new long[] { 10, 100 }, 2))
            .Attr("broadcast", 1L).Attr("axis", 0L).WithOpset(6).Run1();
        Assert.Equal(new long[] { 10, 20, 300, 400 }, i.Span<long>().ToArray());
        // From opset 7 the attributes are gone and NumPy broadcasting applies.
        Assert.Throws<ModelException>(() => new OpCase("Add").Input(a).Input(Tensor.Zeros(3, 1, 1, 1)).Attr("broadcast", 1L).Attr("axis", 1L).WithOpset(6).Run1());
    }

    [Fact]
    public void Opset_6_broadcast_gradient_sums_over_the_aligned_axes() =>
        GradCheck.Check(new OpCase("Mul").Input(TensorAssert.Random(1, -1, 1, 2, 3, 4)).Input(TensorAssert.Random(2, -1, 1, 3))
            .Attr("broadcast", 1L).Attr("axis", 1L).WithOpset(6));

    [Fact]
    public void Opset_6_PRelu_slope_of_C_values_is_per_channel()
    {
        var x = Tensor.From(new[] { -1f, -2f, 3f, -4f, -5f, 6f }, 1, 2, 3);
        var y = new OpCase("PRelu").Input(x).Const(Tensor.From(new[] { 0.5f, 0.1f }, 2)).WithOpset(6).Run1();
        TensorAssert.Close([-0.5f, -1f, 3f, -0.4f, -0.5f, 6f], y.Floats);
        // From opset 7 the slope broadcasts as NumPy does, so [2] against [1,2,3] is an error.
        Assert.Contains("broadcast", Assert.Throws<ModelException>(() =>
            new OpCase("PRelu").Input(x).Const(Tensor.From(new[] { 0.5f, 0.1f }, 2)).WithOpset(9).Run1()).Message);
        GradCheck.Check(new OpCase("PRelu").Input(TensorAssert.AwayFromZero(3, 0.1f, 1, 2, 3, 2, 2)).Input(TensorAssert.Random(4, 0.1f, 0.5f, 3)).WithOpset(6));
    }

    [Fact]
    public void Opset_1_Concat_defaults_to_axis_1()
    {
        var a = Tensor.From(new[] { 1f, 2f }, 2, 1);
        var b = Tensor.From(new[] { 3f, 4f }, 2, 1);
        var y = new OpCase("Concat").Input(a).Input(b).WithOpset(1).Run1();
        Assert.Equal([2, 2], y.Shape);
        Assert.Equal(new float[] { 1, 3, 2, 4 }, y.Floats.ToArray());
        Assert.Contains("axis", Assert.Throws<ModelException>(() => new OpCase("Concat").Input(a).Input(b).WithOpset(4).Run1()).Message);
    }
}
