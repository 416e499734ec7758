using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Quantization;

[Trait("Category", "Kernel")]
public class QLinearMatMulTests
{
    private static OpCase Case(Tensor a, float sa, Tensor za, Tensor b, Tensor sb, Tensor zb, float sy, Tensor zy) =>
        new OpCase("QLinearMatMul").WithOpset(10).Input(a).Const(Tensor.Scalar(sa)).Const(za).Input(b).Const(sb).Const(zb)
            .Const(Tensor.Scalar(sy)).Const(zy);

    [Fact]
    public void Hand_computed_with_ties_rounded_to_even()
    {
        // a' = [[0,10],[20,30]], b' = [[0,1],[2,3]]: acc [[20,30],[60,110]] x 0.125 = [[2.5,3.75],[7.5,13.75]].
        var y = Case(Tensor.From(new byte[] { 10, 20, 30, 40 }, 2, 2), 0.5f, Tensor.Scalar((byte)10),
            Tensor.From(new byte[] { 1, 2, 3, 4 }, 2, 2), Tensor.Scalar(0.25f), Tensor.Scalar((byte)1), 1f, Tensor.Scalar((byte)100)).Run1();
        Assert.Equal(DataType.UInt8, y.Type);
        Assert.Equal(new byte[] { 102, 104, 108, 114 }, y.Span<byte>().ToArray());
    }

    [Fact]
    public void Per_column_scale_of_b()
    {
        var y = Case(Tensor.From(new byte[] { 10, 20, 30, 40 }, 2, 2), 0.5f, Tensor.Scalar((byte)10),
            Tensor.From(new byte[] { 1, 2, 3, 4 }, 2, 2), Tensor.From(new[] { 0.25f, 0.5f }, 2), Tensor.From(new byte[] { 1, 1 }, 2),
            1f, Tensor.Scalar((byte)100)).Run1();
        Assert.Equal(new byte[] { 102, 108, 108, 128 }, y.Span<byte>().ToArray());
    }

    [Fact]
    public void Int8_output_saturates()
    {
        var y = Case(Tensor.From(new sbyte[] { 100, -100 }, 1, 2), 1f, Tensor.Scalar((sbyte)0),
            Tensor.From(new sbyte[] { 100, 100, 100, -100 }, 2, 2), Tensor.Scalar(1f), Tensor.Scalar((sbyte)0), 0.01f, Tensor.Scalar((sbyte)-5)).Run1();
        // acc [0, 20000]: 0 -> -5, 2e6 -> 127.
        Assert.Equal(new sbyte[] { -5, 127 }, y.Span<sbyte>().ToArray());
    }

    [Fact]
    public void Batched_random_matches_a_plain_reference()
    {
        var rng = new Random(8);
        var a = Enumerable.Range(0, 2 * 3 * 5).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
        var b = Enumerable.Range(0, 5 * 4).Select(_ => (byte)rng.Next(256)).ToArray();
        var sb = Enumerable.Range(0, 4).Select(_ => 0.001f + (float)rng.NextDouble() * 0.01f).ToArray();
        var zb = Enumerable.Range(0, 4).Select(_ => (byte)rng.Next(256)).ToArray();
        const float sa = 0.02f, sy = 0.05f;
        const sbyte za = -3;
        const byte zy = 128;
        var y = Case(Tensor.From(a, 2, 3, 5), sa, Tensor.Scalar(za), Tensor.From(b, 5, 4), Tensor.From(sb, 4), Tensor.From(zb, 4), sy, Tensor.Scalar(zy)).Run1();
        Assert.Equal([2, 3, 4], y.Shape);
        var got = y.Span<byte>().ToArray();
        int distinct = got.Distinct().Count();
        Assert.True(distinct > 5, $"only {distinct} distinct outputs");
        for (int r = 0; r < 6; r++)
            for (int n = 0; n < 4; n++)
            {
                int acc = 0;
                for (int k = 0; k < 5; k++) acc += (a[r * 5 + k] - za) * (b[k * 4 + n] - zb[n]);
                float v = MathF.Round(acc * (sa * sb[n] / sy)) + zy;
                Assert.Equal((byte)Math.Clamp(v, 0, 255), got[r * 4 + n]);
            }
    }

    [Theory]
    [InlineData("y-scale", "y_scale must be a single value")]
    [InlineData("b-scale", "b_scale [3] must be one value, [2] (one per column of B)")]
    [InlineData("zp-shape", "b_zero_point [1] must have the shape of b_scale [2]")]
    public void Inconsistent_inputs_are_errors(string what, string message)
    {
        var a = Tensor.From(new byte[4], 2, 2);
        var c = what switch
        {
            "y-scale" => new OpCase("QLinearMatMul").Input(a).Const(Tensor.Scalar(1f)).Const(Tensor.Scalar((byte)0)).Input(a).Const(Tensor.Scalar(1f))
                .Const(Tensor.Scalar((byte)0)).Const(Tensor.From(new[] { 1f, 1f }, 2)).Const(Tensor.Scalar((byte)0)),
            "b-scale" => Case(a, 1f, Tensor.Scalar((byte)0), a, Tensor.From(new[] { 1f, 1f, 1f }, 3), Tensor.From(new byte[3], 3), 1f, Tensor.Scalar((byte)0)),
            _ => Case(a, 1f, Tensor.Scalar((byte)0), a, Tensor.From(new[] { 1f, 1f }, 2), Tensor.From(new byte[1], 1), 1f, Tensor.Scalar((byte)0)),
        };
        var e = Assert.Throws<ModelException>(() => c.Run1());
        Assert.Contains(message, e.Message);
    }
}
