using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Quantization;

[Trait("Category", "Kernel")]
public class MatMulIntegerTests
{
    [Fact]
    public void Hand_computed_with_a_scalar_and_a_per_column_zero_point()
    {
        var y = new OpCase("MatMulInteger").WithOpset(10)
            .Input(Tensor.From(new byte[] { 1, 2, 3, 4, 5, 6 }, 2, 3))
            .Input(Tensor.From(new byte[] { 1, 2, 3, 4, 5, 7 }, 3, 2))
            .Const(Tensor.Scalar((byte)1))
            .Const(Tensor.From(new byte[] { 0, 1 }, 2)).Run1();
        Assert.Equal(DataType.Int32, y.Type);
        Assert.Equal([2, 2], y.Shape);
        Assert.Equal(new[] { 13, 15, 40, 45 }, y.Span<int>().ToArray());
    }

    [Fact]
    public void Per_row_zero_point_of_signed_a()
    {
        var y = new OpCase("MatMulInteger")
            .Input(Tensor.From(new sbyte[] { -1, 2, 3, -4 }, 2, 2))
            .Input(Tensor.From(new sbyte[] { 5, 6 }, 2, 1))
            .Const(Tensor.From(new sbyte[] { 1, -1 }, 2)).Run1();
        Assert.Equal(new[] { -4, 2 }, y.Span<int>().ToArray());
    }

    [Fact]
    public void Without_zero_points_it_is_a_plain_integer_product_of_mixed_signs()
    {
        var y = new OpCase("MatMulInteger").Input(Tensor.From(new byte[] { 255, 1 }, 1, 2)).Input(Tensor.From(new sbyte[] { -128, 127 }, 2, 1)).Run1();
        Assert.Equal(new[] { 255 * -128 + 127 }, y.Span<int>().ToArray());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Batched_broadcast_matches_a_plain_reference(bool batchedZeroPoints)
    {
        // A [2,1,3,4] uint8 x B [3,4,5] int8 -> [2,3,3,5]; a's zero point scalar or [2,1,3,1], b's [5] or [3,1,5].
        var rng = new Random(batchedZeroPoints ? 2 : 1);
        var a = Enumerable.Range(0, 24).Select(_ => (byte)rng.Next(256)).ToArray();
        var b = Enumerable.Range(0, 60).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
        var za = batchedZeroPoints ? Enumerable.Range(0, 6).Select(_ => (byte)rng.Next(256)).ToArray() : [(byte)rng.Next(256)];
        var zb = batchedZeroPoints ? Enumerable.Range(0, 15).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray() : Enumerable.Range(0, 5).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray();
        var y = new OpCase("MatMulInteger").Input(Tensor.From(a, 2, 1, 3, 4)).Input(Tensor.From(b, 3, 4, 5))
            .Const(batchedZeroPoints ? Tensor.From(za, 2, 1, 3, 1) : Tensor.Scalar(za[0]))
            .Const(batchedZeroPoints ? Tensor.From(zb, 3, 1, 5) : Tensor.From(zb, 5)).Run1();
        Assert.Equal([2, 3, 3, 5], y.Shape);
        var got = y.Span<int>().ToArray();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int m = 0; m < 3; m++)
                    for (int n = 0; n < 5; n++)
                    {
                        int zam = batchedZeroPoints ? za[i * 3 + m] : za[0];
                        int zbn = batchedZeroPoints ? zb[j * 5 + n] : zb[n];
                        int s = 0;
                        for (int k = 0; k < 4; k++) s += (a[(i * 3 + m) * 4 + k] - zam) * (b[(j * 4 + k) * 5 + n] - zbn);
                        Assert.Equal(s, got[((i * 3 + j) * 3 + m) * 5 + n]);
                    }
    }

    [Fact]
    public void One_dimensional_operands_are_promoted_as_in_matmul()
    {
        var y = new OpCase("MatMulInteger").Input(Tensor.From(new byte[] { 1, 2, 3 }, 3)).Input(Tensor.From(new byte[] { 1, 2, 3, 4, 5, 6 }, 3, 2)).Run1();
        Assert.Equal([2], y.Shape);
        Assert.Equal(new[] { 22, 28 }, y.Span<int>().ToArray());
    }

    [Theory]
    [InlineData("a-zp", "a_zero_point [3] must be one value, [2] (one per row of A)")]
    [InlineData("b-zp", "b_zero_point [3] must be one value, [2] (one per column of B)")]
    [InlineData("type", "b_zero_point must have the type of B")]
    [InlineData("float", "A must be uint8 or int8")]
    public void Inconsistent_inputs_are_errors(string what, string message)
    {
        var a = Tensor.From(new byte[4], 2, 2);
        var b = Tensor.From(new byte[4], 2, 2);
        var c = what switch
        {
            "a-zp" => new OpCase("MatMulInteger").Input(a).Input(b).Const(Tensor.From(new byte[3], 3)),
            "b-zp" => new OpCase("MatMulInteger").Input(a).Input(b).Absent().Const(Tensor.From(new byte[3], 3)),
            "type" => new OpCase("MatMulInteger").Input(a).Input(b).Absent().Const(Tensor.Scalar((sbyte)0)),
            _ => new OpCase("MatMulInteger").Input(Tensor.Zeros(2, 2)).Input(b),
        };
        var e = Assert.Throws<ModelException>(() => c.Run1());
        Assert.Contains(message, e.Message);
    }
}
