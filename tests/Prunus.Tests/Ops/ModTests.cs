using Prunus.Graph.Ops;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.ElementwiseTestData;

namespace Prunus.Tests.Ops;

/// <summary>Mod: Python-style and C-style integer remainders, float fmod, broadcasting, gradients, attribute checks.</summary>
[Trait("Category", "Kernel")]
public class ModTests
{
    private static Tensor L(long[] v, params int[] shape) => Tensor.From(v, shape);

    [Fact]
    public void Integer_mod_takes_the_divisors_sign_and_fmod_the_dividends()
    {
        var a = L([7, -7, 7, -7, 0, 6, -6], 7);
        var b = L([3, 3, -3, -3, 5, 3, -3], 7);
        Assert.Equal(new long[] { 1, 2, -2, -1, 0, 0, 0 }, new OpCase("Mod").Input(a).Input(b).Run1().ToInt64Array());
        Assert.Equal(new long[] { 1, -1, 1, -1, 0, 0, 0 }, new OpCase("Mod").Input(a).Input(b).Attr("fmod", 1L).Run1().ToInt64Array());
    }

    [Fact]
    public void Int32_mod_broadcasts_a_scalar_divisor()
    {
        var a = Tensor.From(new[] { 12, -5, 9, 16, 1, -8 }, 2, 3);
        var y = new OpCase("Mod").Input(a).Const(Tensor.Scalar(8)).Run1();
        Assert.Equal(DataType.Int32, y.Type);
        Assert.Equal(new[] { 2, 3 }, y.Shape);
        Assert.Equal(new[] { 4, 3, 1, 0, 1, 0 }, y.Span<int>().ToArray());
    }

    [Fact]
    public void Int8_uint8_and_double_take_the_same_rules()
    {
        var a8 = Tensor.From(new sbyte[] { 7, -7, 7, -7 }, 4);
        var b8 = Tensor.From(new sbyte[] { 3, 3, -3, -3 }, 4);
        Assert.Equal(new sbyte[] { 1, 2, -2, -1 }, new OpCase("Mod").Input(a8).Input(b8).Run1().Span<sbyte>().ToArray());
        var u = Tensor.From(new byte[] { 250, 9, 0 }, 3);
        Assert.Equal(new byte[] { 2, 1, 0 }, new OpCase("Mod").Input(u).Const(Tensor.Scalar((byte)8)).Run1().Span<byte>().ToArray());
        var d = new OpCase("Mod").Input(Tensor.From(new[] { 5.5, -5.5 }, 2)).Input(Tensor.From(new[] { -2.0, 2.0 }, 2)).Attr("fmod", 1L).Run1();
        Assert.Equal(new[] { 1.5, -1.5 }, d.Span<double>().ToArray());
    }

    [Fact]
    public void Float_fmod_keeps_the_dividends_sign()
    {
        var y = new OpCase("Mod").Input(T([5.5f, -5.5f, 5.5f, -5.5f, 0.25f], 5)).Input(T([2, 2, -2, -2, 1], 5)).Attr("fmod", 1L).Run1();
        Assert.Equal(new[] { 1.5f, -1.5f, 1.5f, -1.5f, 0.25f }, y.Floats.ToArray());
    }

    [Fact]
    public void Float_mod_without_fmod_and_a_zero_integer_divisor_are_refused()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("Mod").Input(T([1, 2], 2)).Input(T([1, 1], 2)).Run1());
        Assert.Contains("fmod=1", e.Message);
        var z = Assert.Throws<ModelException>(() => new OpCase("Mod").Input(L([1, 2], 2)).Const(L([1, 0], 2)).Run1());
        Assert.Contains("zero", z.Message);
        var f = Assert.Throws<ModelException>(() => new OpCase("Mod").Input(L([1, 2], 2)).Input(L([1, 1], 2)).Attr("fmod", 2L).Run1());
        Assert.Contains("fmod", f.Message);
    }

    /// <summary>
    /// Dividends whose quotients by the divisor (broadcast from <paramref name="bShape"/>) keep at least 0.2 from a
    /// whole number, so that a finite-difference step never crosses a jump of the remainder.
    /// </summary>
    private static (Tensor A, Tensor B) AwayFromJumps(int[] aShape, int[] bShape)
    {
        var b = TensorAssert.AwayFromZero(5, 0.7f, 1.6f, bShape);
        var a = Tensor.Zeros(aShape);
        var layout = BroadcastLayout.Create(aShape, aShape, bShape);
        var rng = new Random(6);
        for (int i = 0; i < a.Length; i++)
            a.Floats[i] = b.Floats[layout.OperandIndex(1, i)] * (rng.Next(-3, 4) + 0.2f + 0.6f * (float)rng.NextDouble());
        return (a, b);
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4 }, new[] { 2, 3, 4 })]
    [InlineData(new[] { 2, 3, 5 }, new[] { 3, 1 })]
    [InlineData(new[] { 4, 5 }, new int[0])]
    public void Float_gradient_matches_finite_differences(int[] aShape, int[] bShape)
    {
        var (a, b) = AwayFromJumps(aShape, bShape);
        GradCheck.Check(new OpCase("Mod").Input(a).Input(b).Attr("fmod", 1L), maxPoints: 30);
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Divisor_gradient_simd_matches_its_scalar_reference(int n)
    {
        var (a, b) = AwayFromJumps([n], [n]);
        var g = TensorAssert.Random(8, -1, 1, n);
        var layout = BroadcastLayout.Create([n], [n], [n], [n]);
        var fast = Tensor.Zeros(n);
        Broadcast.Accumulate<ModOp.FmodGradDivisorOp>(layout, a.Floats, b.Floats, g.Floats, fast.Floats);
        for (int i = 0; i < n; i++)
            Assert.Equal(-MathF.Truncate(a.Floats[i] / b.Floats[i]) * g.Floats[i], fast.Floats[i]);
    }
}
