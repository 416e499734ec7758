using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

[Trait("Category", "Kernel")]
public class ReluTests
{
    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Fast_kernel_matches_reference(int n)
    {
        var x = TensorAssert.Random(n, -1, 1, n).Floats.ToArray();
        var fast = new float[n];
        var reference = new float[n];
        Elementwise.Relu(x, fast);
        VectorLoops.UnaryReference<Elementwise.ReluOp>(x, reference);
        Assert.Equal(reference, fast);
        Assert.All(fast, v => Assert.True(v >= 0));
    }

    [Fact]
    public void Forward_zeroes_negatives()
    {
        var y = new OpCase("Relu").Input(Tensor.From(new[] { -2f, -0.5f, 0f, 0.5f, 3f }, 5)).Run1();
        Assert.Equal(new[] { 0f, 0f, 0f, 0.5f, 3f }, y.Floats.ToArray());
    }

    [Fact]
    public void Gradient_matches_finite_differences() =>
        GradCheck.Check(new OpCase("Relu").Input(TensorAssert.AwayFromZero(3, 0.1f, 1f, 2, 3, 5)));
}
