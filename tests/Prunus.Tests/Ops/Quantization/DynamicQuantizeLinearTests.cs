using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Quantization;

[Trait("Category", "Kernel")]
public class DynamicQuantizeLinearTests
{
    private static (byte[] Y, float Scale, byte ZeroPoint) Run(params float[] x)
    {
        var r = new OpCase("DynamicQuantizeLinear").WithOpset(11).Input(Tensor.From(x, x.Length)).Outputs(3).Run();
        Assert.Equal(DataType.UInt8, r[0].Type);
        Assert.Empty(r[1].Shape);
        return (r[0].Span<byte>().ToArray(), r[1].Floats[0], r[2].Span<byte>()[0]);
    }

    [Fact]
    public void Range_includes_zero_and_maps_onto_0_to_255()
    {
        var x = new[] { 0f, 2f, -3f, -2.5f, 1.34f, 0.5f };
        var (y, s, zp) = Run(x);
        Assert.Equal(5f / 255f, s);
        Assert.Equal(153, zp);
        Assert.Equal(x.Select(v => (byte)QuantTensors.Expected(v, s, zp, 0, 255)).ToArray(), y);
        Assert.Equal(0, y[2]);
        Assert.Equal(255, y[1]);
    }

    [Fact]
    public void Positive_only_input_has_zero_point_0_and_negative_only_255()
    {
        var (yp, sp, zpp) = Run(1f, 2f, 3f);
        Assert.Equal((3f / 255f, (byte)0), (sp, zpp));
        Assert.Equal(new byte[] { 85, 170, 255 }, yp);
        var (yn, sn, zpn) = Run(-1f, -2f);
        Assert.Equal((2f / 255f, (byte)255), (sn, zpn));
        // -1 / (2/255) is a tie near -127.5, decided by the float32 division as the formula says.
        Assert.Equal(new[] { -1f, -2f }.Select(v => (byte)QuantTensors.Expected(v, sn, zpn, 0, 255)).ToArray(), yn);
        Assert.Equal(0, yn[1]);
    }

    [Fact]
    public void All_zero_input_gets_scale_1_as_in_onnx_runtime()
    {
        var (y, s, zp) = Run(0f, 0f);
        Assert.Equal((1f, (byte)0), (s, zp));
        Assert.Equal(new byte[] { 0, 0 }, y);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 17)]
    [InlineData(16, 255)]
    public void Random_shapes_follow_the_formula(int rows, int cols)
    {
        var x = TensorAssert.Random(rows * cols, -1.5f, 4f, rows, cols);
        var r = new OpCase("DynamicQuantizeLinear").Input(x).Outputs(3).Run();
        var xs = x.Floats.ToArray();
        float min = Math.Min(xs.Min(), 0), max = Math.Max(xs.Max(), 0);
        float s = max == min ? 1 : (max - min) / 255f;
        Assert.Equal(s, r[1].Floats[0]);
        int zp = (int)Math.Clamp(MathF.Round(-min / s), 0, 255);
        Assert.Equal(zp, r[2].Span<byte>()[0]);
        Assert.Equal(xs.Select(v => (byte)QuantTensors.Expected(v, s, zp, 0, 255)).ToArray(), r[0].Span<byte>().ToArray());
    }
}
