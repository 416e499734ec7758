using Prunus.Kernels;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Quantization;

/// <summary>The quantize and dequantize loops against their scalar references, per tensor, per axis and blocked.</summary>
[Trait("Category", "Kernel")]
public class LinearQuantizationKernelTests
{
    public static TheoryData<string, int> Cases()
    {
        var d = new TheoryData<string, int>();
        foreach (var layout in new[] { "tensor", "axis0", "axis1", "axis-last", "block1", "block-last" })
            foreach (var n in TensorAssert.Sizes) d.Add(layout, n);
        return d;
    }

    // [n] per tensor; [3, n, 2] per axis 1 or 0; [2, n] per last axis; blocks of 4 along axis 1 of [3, n, 2] or of [2, n].
    private static (QuantizationLayout Layout, int[] Shape) Layout(string kind, int n) => kind switch
    {
        "tensor" => (QuantizationLayout.PerTensor(n), [n]),
        "axis0" => (QuantizationLayout.PerAxis([3, n, 2], 0), [3, n, 2]),
        "axis1" => (QuantizationLayout.PerAxis([3, n, 2], 1), [3, n, 2]),
        "axis-last" => (QuantizationLayout.PerAxis([2, n], 1), [2, n]),
        "block1" => (QuantizationLayout.Blocked([3, n, 2], 1, 4), [3, n, 2]),
        _ => (QuantizationLayout.Blocked([2, n], 1, 4), [2, n]),
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Quantize_matches_reference(string kind, int n)
    {
        var (layout, shape) = Layout(kind, n);
        int length = layout.Length;
        var x = TensorAssert.Random(n + 1, -300, 300, length).Floats.ToArray();
        // Exact ties, NaN and infinities among the values.
        if (length > 6) { x[0] = 2.5f; x[1] = -2.5f; x[2] = float.NaN; x[3] = float.PositiveInfinity; x[4] = float.NegativeInfinity; x[5] = 0.5f; }
        int p = Math.Max(layout.ParameterCount, 1);
        var rng = new Random(n);
        var scale = Enumerable.Range(0, p).Select(i => i == 0 ? 1f : 0.5f + (float)rng.NextDouble() * 3).ToArray();
        var zp = Enumerable.Range(0, p).Select(_ => (sbyte)rng.Next(-20, 20)).ToArray();
        var fast = new sbyte[length];
        var reference = new sbyte[length];
        LinearQuantization.Quantize<sbyte>(layout, x, scale, zp, fast, -128, 127);
        LinearQuantization.QuantizeReference<sbyte>(layout, x, scale, zp, reference, -128, 127);
        Assert.Equal(reference, fast);
        for (int e = 0; e < length; e++)
        {
            int q = layout.ParameterIndex(e);
            Assert.Equal(QuantTensors.Expected(x[e], scale[q], zp[q], -128, 127), reference[e]);
        }
        Assert.Equal(shape.Aggregate(1, (a, b) => a * b), length);

        var u4 = new byte[length];
        var u4Reference = new byte[length];
        LinearQuantization.Quantize<byte>(layout, x, scale, default, u4, 0, 15);
        LinearQuantization.QuantizeReference<byte>(layout, x, scale, default, u4Reference, 0, 15);
        Assert.Equal(u4Reference, u4);
        Assert.All(u4, v => Assert.InRange(v, (byte)0, (byte)15));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Dequantize_matches_reference(string kind, int n)
    {
        var (layout, _) = Layout(kind, n);
        int length = layout.Length;
        var rng = new Random(n + 7);
        var x = Enumerable.Range(0, length).Select(_ => (byte)rng.Next(256)).ToArray();
        int p = Math.Max(layout.ParameterCount, 1);
        var scale = Enumerable.Range(0, p).Select(_ => 0.01f + (float)rng.NextDouble()).ToArray();
        var zp = Enumerable.Range(0, p).Select(_ => (byte)rng.Next(256)).ToArray();
        var fast = new float[length];
        var reference = new float[length];
        LinearQuantization.Dequantize<byte>(layout, x, scale, zp, fast);
        LinearQuantization.DequantizeReference<byte>(layout, x, scale, zp, reference);
        Assert.Equal(reference, fast);
        for (int e = 0; e < length; e++)
        {
            int q = layout.ParameterIndex(e);
            Assert.Equal(((float)x[e] - zp[q]) * scale[q], reference[e]);
        }
    }

    [Fact]
    public void Layout_parameter_indices()
    {
        var blocked = QuantizationLayout.Blocked([2, 5, 3], 1, 2);
        // Element (o=1, a=4, i=2): block 2 of 3, so (1 * 3 + 2) * 3 + 2.
        Assert.Equal(17, blocked.ParameterIndex((1 * 5 + 4) * 3 + 2));
        Assert.Equal(18, blocked.ParameterCount);
        var axis = QuantizationLayout.PerAxis([2, 5, 3], 1);
        Assert.Equal(4, axis.ParameterIndex((1 * 5 + 4) * 3 + 2));
        Assert.Equal(5, axis.ParameterCount);
        Assert.Equal(1, QuantizationLayout.PerTensor(30).ParameterCount);
    }
}
