using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Import;

[Trait("Category", "Kernel")]
public class CastTests
{
    private static Tensor Cast(Tensor x, DataType to) => new OpCase("Cast").Input(x).Attr("to", (long)to).Run1();

    [Fact]
    public void Floats_truncate_toward_zero_into_integers()
    {
        var x = Tensor.From(new[] { -2.7f, -0.5f, 0f, 0.5f, 2.7f, 100f }, 6);
        Assert.Equal(new long[] { -2, 0, 0, 0, 2, 100 }, Cast(x, DataType.Int64).Span<long>().ToArray());
        Assert.Equal(new[] { -2, 0, 0, 0, 2, 100 }, Cast(x, DataType.Int32).Span<int>().ToArray());
        Assert.Equal(new sbyte[] { -2, 0, 0, 0, 2, 100 }, Cast(x, DataType.Int8).Span<sbyte>().ToArray());
    }

    [Fact]
    public void Floats_wrap_into_8_bit_integers_as_numpy_does()
    {
        // NumPy's astype and ONNX Runtime go through a wide integer: -2.0 is 254 as uint8, 300.7 is 44, -130 is 126 as int8.
        var x = Tensor.From(new[] { -2f, -1.5f, 300.7f, -0.5f, -130f }, 5);
        Assert.Equal(new byte[] { 254, 255, 44, 0, 126 }, Cast(x, DataType.UInt8).Span<byte>().ToArray());
        Assert.Equal(new sbyte[] { -2, -1, 44, 0, 126 }, Cast(x, DataType.Int8).Span<sbyte>().ToArray());
    }

    [Fact]
    public void Bool_is_not_zero_and_back_is_one_or_zero()
    {
        var x = Tensor.From(new[] { 0f, -0f, 0.1f, float.NaN, -3f }, 5);
        Assert.Equal(new[] { false, false, true, true, true }, Cast(x, DataType.Bool).Span<bool>().ToArray());
        var b = Tensor.From(new[] { true, false, true }, 3);
        Assert.Equal(new[] { 1f, 0f, 1f }, Cast(b, DataType.Float32).Floats.ToArray());
        Assert.Equal(new long[] { 1, 0, 1 }, Cast(b, DataType.Int64).Span<long>().ToArray());
        Assert.Equal(new[] { true, false, true }, Cast(Tensor.From(new long[] { 5, 0, -1 }, 3), DataType.Bool).Span<bool>().ToArray());
    }

    [Fact]
    public void Wider_integers_wrap_and_doubles_round()
    {
        var big = Tensor.From(new long[] { (1L << 32) + 5, -1, 300 }, 3);
        Assert.Equal(new[] { 5, -1, 300 }, Cast(big, DataType.Int32).Span<int>().ToArray());
        Assert.Equal(new byte[] { 5, 255, 44 }, Cast(big, DataType.UInt8).Span<byte>().ToArray());
        var d = Cast(Tensor.From(new[] { 0.1, 1e300, (double)(1L << 53) }, 3), DataType.Float32);
        Assert.Equal(new[] { 0.1f, float.PositiveInfinity, (float)(1L << 53) }, d.Floats.ToArray());
        var exact = Cast(Tensor.From(new[] { long.MaxValue, long.MinValue }, 2), DataType.Int64);
        Assert.Equal(new[] { long.MaxValue, long.MinValue }, exact.Span<long>().ToArray());
    }

    public static TheoryData<DataType, DataType> Pairs()
    {
        var d = new TheoryData<DataType, DataType>();
        DataType[] all = [.. AllTypes, DataType.Float64];
        foreach (var a in all) foreach (var b in all) d.Add(a, b);
        return d;
    }

    [Theory]
    [MemberData(nameof(Pairs))]
    public void Small_values_survive_every_pair_of_types(DataType from, DataType to)
    {
        // 0, 1, 2, 0, 1, 2, ... (bools: i % 3 == 1) are representable in every type.
        var x = Tensor.Zeros(from, 7);
        var values = Enumerable.Range(0, 7).Select(i => from == DataType.Bool || to == DataType.Bool ? (i % 3 == 1 ? 1 : 0) : i % 3).ToArray();
        TypeConversionSet(x, values);
        var y = Cast(x, to);
        Assert.Equal(to, y.Type);
        Assert.Equal(values.Select(v => (double)v), Values(y));
    }

    private static void TypeConversionSet(Tensor t, int[] values)
    {
        for (int i = 0; i < values.Length; i++)
            switch (t.Type)
            {
                case DataType.Float32: t.Floats[i] = values[i]; break;
                case DataType.Float64: t.Span<double>()[i] = values[i]; break;
                case DataType.Int64: t.Span<long>()[i] = values[i]; break;
                case DataType.Int32: t.Span<int>()[i] = values[i]; break;
                case DataType.Int8: t.Span<sbyte>()[i] = (sbyte)values[i]; break;
                case DataType.UInt8: t.Span<byte>()[i] = (byte)values[i]; break;
                default: t.Span<bool>()[i] = values[i] != 0; break;
            }
    }

    [Fact]
    public void Float_to_float_is_a_view_that_passes_the_gradient()
    {
        var c = new OpCase("Cast").Input(TensorAssert.Random(2, -1, 1, 3, 4)).Attr("to", 1L);
        Assert.Equal("view", Assert.Single(c.Compile().Describe()).Algorithm);
        GradCheck.Check(c);
    }

    [Fact]
    public void Unstorable_targets_are_refused_by_name()
    {
        var e = Assert.Throws<ModelException>(() => Cast(Seq(2), (DataType)10));
        Assert.Contains("float16", e.Message);
        Assert.Throws<ModelException>(() => new OpCase("Cast").Input(Seq(2)).Run1());
    }
}
