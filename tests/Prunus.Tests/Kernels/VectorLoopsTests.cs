using Prunus.Kernels;
using Prunus.Tests.Support;

namespace Prunus.Tests.Kernels;

[Trait("Category", "Kernel")]
public class VectorLoopsTests
{
    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void BinaryScalar_matches_reference(int n)
    {
        var x = TensorAssert.Random(n, -3, 3, n).Floats.ToArray();
        var fast = new float[n];
        var reference = new float[n];
        VectorLoops.BinaryScalar<Elementwise.DivOp>(x, 1.7f, fast);
        VectorLoops.BinaryScalarReference<Elementwise.DivOp>(x, 1.7f, reference);
        Assert.Equal(reference, fast);
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Binary_matches_reference(int n)
    {
        var x = TensorAssert.Random(n, -3, 3, n).Floats.ToArray();
        var y = TensorAssert.Random(n + 1, -3, 3, n).Floats.ToArray();
        var fast = new float[n];
        var reference = new float[n];
        VectorLoops.Binary<Elementwise.PReluOp>(x, y, fast);
        VectorLoops.BinaryReference<Elementwise.PReluOp>(x, y, reference);
        Assert.Equal(reference, fast);
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void TernaryAccumulate_and_sum_match_references(int n)
    {
        var a = TensorAssert.Random(n, -3, 3, n).Floats.ToArray();
        var b = TensorAssert.Random(n + 1, -3, 3, n).Floats.ToArray();
        var g = TensorAssert.Random(n + 2, -1, 1, n).Floats.ToArray();
        var fast = TensorAssert.Random(n + 3, -1, 1, n).Floats.ToArray();
        var reference = (float[])fast.Clone();
        VectorLoops.TernaryAccumulate<Elementwise.MaxGradFirstOp>(a, b, g, fast);
        VectorLoops.TernaryAccumulateReference<Elementwise.MaxGradFirstOp>(a, b, g, reference);
        Assert.Equal(reference, fast);

        float sum = VectorLoops.TernarySum<Elementwise.DivGradDenominatorOp>(a, b, g);
        float expected = VectorLoops.TernarySumReference<Elementwise.DivGradDenominatorOp>(a, b, g);
        Assert.True(Math.Abs(sum - expected) <= 1e-4 * (1 + Math.Abs(expected)), $"sum {sum} vs {expected}");
    }

    [Fact]
    public void Spans_of_different_lengths_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => VectorLoops.Binary<Elementwise.MulOp>(new float[4], new float[3], new float[4]));
        Assert.Throws<ArgumentException>(() => VectorLoops.Unary<Elementwise.ExpOp>(new float[4], new float[3]));
    }
}
