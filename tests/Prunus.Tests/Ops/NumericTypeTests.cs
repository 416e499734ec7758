using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

/// <summary>
/// Element types beyond float32, int32 and int64 (found by the ONNX backend conformance walk): double, int8 and uint8
/// arithmetic, Max/Min, Pow with integer and double bases, integer Clip and byte MaxPool. Forward only.
/// </summary>
[Trait("Category", "Kernel")]
public class NumericTypeTests
{
    private static T[] Run<T>(OpCase c) where T : unmanaged => c.Run1().Span<T>().ToArray();

    [Fact]
    public void Uint8_arithmetic_wraps_as_numpy_does()
    {
        var a = Tensor.From(new byte[] { 250, 3, 7 }, 3);
        var b = Tensor.From(new byte[] { 10, 4, 2 }, 3);
        Assert.Equal(new byte[] { 4, 7, 9 }, Run<byte>(new OpCase("Add").Input(a).Input(b)));
        Assert.Equal(new byte[] { 240, 255, 5 }, Run<byte>(new OpCase("Sub").Input(a).Input(b)));
        Assert.Equal(new byte[] { 196, 12, 14 }, Run<byte>(new OpCase("Mul").Input(a).Input(b)));
        Assert.Equal(new byte[] { 25, 0, 3 }, Run<byte>(new OpCase("Div").Input(a).Input(b)));
    }

    [Fact]
    public void Int8_and_double_broadcast_through_the_scalar_kernel()
    {
        var a = Tensor.From(new sbyte[] { -7, 7, 100, -100 }, 2, 2);
        Assert.Equal(new sbyte[] { -14, 14, -56, 56 }, Run<sbyte>(new OpCase("Mul").Input(a).Const(Tensor.Scalar((sbyte)2))));
        var d = Tensor.From(new[] { 0.1, 0.2 }, 2);
        var sum = new OpCase("Add").Input(Tensor.From(new[] { 1.0, 2.0, 3.0, 4.0 }, 2, 2)).Input(d).Run1();
        Assert.Equal(DataType.Float64, sum.Type);
        Assert.Equal(new[] { 1.1, 2.2, 3.1, 4.2 }, sum.Span<double>().ToArray());
    }

    [Fact]
    public void Max_and_Min_of_double_int8_and_uint8()
    {
        Assert.Equal(new[] { 2.5, double.NaN }, Run<double>(new OpCase("Max").Input(Tensor.From(new[] { 2.5, double.NaN }, 2)).Input(Tensor.From(new[] { 1.0, 1.0 }, 2))));
        Assert.Equal(new sbyte[] { -5, -3 }, Run<sbyte>(new OpCase("Min").Input(Tensor.From(new sbyte[] { -5, 4 }, 2)).Input(Tensor.From(new sbyte[] { -3 }, 1))));
        Assert.Equal(new byte[] { 200, 9 }, Run<byte>(new OpCase("Max").Input(Tensor.From(new byte[] { 200, 1 }, 2)).Input(Tensor.From(new byte[] { 3, 9 }, 2))
            .Input(Tensor.From(new byte[] { 5 }, 1))));
    }

    [Fact]
    public void Pow_of_integer_and_double_bases_converts_back_to_the_base_type()
    {
        var ints = Tensor.From(new long[] { 1, 2, 3 }, 3);
        Assert.Equal(new long[] { 1, 32, 729 }, Run<long>(new OpCase("Pow").Input(ints).Input(Tensor.From(new long[] { 4, 5, 6 }, 3))));
        // A float exponent truncates the result toward zero: 2^1.5 = 2.83 -> 2.
        Assert.Equal(new[] { 1, 2, 5 }, Run<int>(new OpCase("Pow").Input(Tensor.From(new[] { 1, 2, 3 }, 3)).Input(Tensor.From(new[] { 4f, 1.5f, 1.5f }, 3))));
        Assert.Equal(new[] { 0.25, 8.0 }, Run<double>(new OpCase("Pow").Input(Tensor.From(new[] { 0.5, 2.0 }, 2)).Input(Tensor.From(new long[] { 2, 3 }, 2))));
        // A float32 base with a uint8 exponent keeps the float kernel.
        TensorAssert.Close([8f, 0.25f], new OpCase("Pow").Input(Tensor.From(new[] { 2f, 0.5f }, 2)).Input(Tensor.From(new byte[] { 3, 2 }, 2)).Run1().Floats);
    }

    [Fact]
    public void Clip_of_integers_with_and_without_bounds()
    {
        var x = Tensor.From(new sbyte[] { -128, -3, 0, 5, 127 }, 5);
        Assert.Equal(new sbyte[] { -2, -2, 0, 4, 4 }, Run<sbyte>(new OpCase("Clip").Input(x).Const(Tensor.Scalar((sbyte)-2)).Const(Tensor.Scalar((sbyte)4)).WithOpset(13)));
        Assert.Equal(new sbyte[] { -128, -3, 0, 5, 127 }, Run<sbyte>(new OpCase("Clip").Input(x).WithOpset(13)));
        Assert.Equal(new long[] { 0, 9 }, Run<long>(new OpCase("Clip").Input(Tensor.From(new long[] { -4, 9 }, 2)).Const(Tensor.Scalar(0L)).WithOpset(13)));
        Assert.Contains("must be Int8", Assert.Throws<ModelException>(() =>
            new OpCase("Clip").Input(x).Const(Tensor.Scalar(0f)).WithOpset(13).Run1()).Message);
    }

    [Fact]
    public void MaxPool_of_uint8_and_int8_with_indices()
    {
        var x = Tensor.From(new byte[] { 1, 200, 3, 4, 5, 6, 255, 8, 9 }, 1, 1, 3, 3);
        var r = new OpCase("MaxPool").Input(x).Attr("kernel_shape", 2L, 2L).Outputs(2).WithOpset(12).Run();
        Assert.Equal(DataType.UInt8, r[0].Type);
        Assert.Equal(new byte[] { 200, 200, 255, 9 }, r[0].Span<byte>().ToArray());
        Assert.Equal(new long[] { 1, 1, 6, 8 }, r[1].Span<long>().ToArray());
        var s = new OpCase("MaxPool").Input(Tensor.From(new sbyte[] { -9, -2, -7, -1 }, 1, 1, 4)).Attr("kernel_shape", Prunus.Graph.AttributeValue.Of(new[] { 2L })).Attr("strides", Prunus.Graph.AttributeValue.Of(new[] { 2L })).WithOpset(12).Run1();
        Assert.Equal(new sbyte[] { -2, -1 }, s.Span<sbyte>().ToArray());
    }
}
