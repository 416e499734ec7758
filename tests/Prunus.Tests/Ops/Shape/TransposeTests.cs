using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Shape;

[Trait("Category", "Kernel")]
public class TransposeTests
{
    [Fact]
    public void Default_reverses_the_axes()
    {
        var y = new OpCase("Transpose").Input(Seq(2, 3)).Run1();
        Assert.Equal([3, 2], y.Shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, y.Floats.ToArray());
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4, 5 }, new long[] { 0, 2, 3, 1 })]
    [InlineData(new[] { 3, 5, 7 }, new long[] { 2, 0, 1 })]
    [InlineData(new[] { 3, 5, 7 }, new long[] { 1, 0, 2 })]
    [InlineData(new[] { 7, 1, 3 }, new long[] { 1, 2, 0 })]
    [InlineData(new[] { 2, 3, 1, 5 }, new long[] { 3, 2, 1, 0 })]
    public void Matches_index_arithmetic_for_every_type(int[] shape, long[] perm)
    {
        foreach (var type in AllTypes)
        {
            var x = SeqOf(type, shape);
            var y = new OpCase("Transpose").Input(x).Attr("perm", Ints(perm)).Run1();
            Assert.Equal(perm.Select(p => shape[p]).ToArray(), y.Shape);
            Assert.Equal(Transpose(Values(x), shape, perm.Select(p => (int)p).ToArray()), Values(y));
        }
    }

    [Fact]
    public void Moving_only_unit_axes_is_a_view()
    {
        var c = new OpCase("Transpose").Input(Seq(1, 3, 1, 4)).Attr("perm", Ints(2, 1, 0, 3));
        Assert.Equal("view", Assert.Single(c.Compile().Describe()).Algorithm);
        Assert.Equal(Seq(12).Floats.ToArray(), c.Run1().Floats.ToArray());
        Assert.NotEqual("view", Assert.Single(new OpCase("Transpose").Input(Seq(2, 3)).Compile().Describe()).Algorithm);
    }

    [Theory]
    [InlineData(new long[] { 0, 0, 1 })]
    [InlineData(new long[] { 0, 1 })]
    [InlineData(new long[] { 0, 1, 3 })]
    public void Rejects_a_bad_permutation(long[] perm) =>
        Assert.Throws<ModelException>(() => new OpCase("Transpose").Input(Seq(2, 3, 4)).Attr("perm", Ints(perm)).Run1());

    [Fact]
    public void Gradient() =>
        GradCheck.Check(new OpCase("Transpose").Input(TensorAssert.Random(6, -1, 1, 3, 5, 2)).Attr("perm", Ints(2, 0, 1)));
}
