using Prunus.Kernels;
using Prunus.Tests.Support;

namespace Prunus.Tests.Kernels;

/// <summary>The separable two-axis resampling against its term-by-term scalar reference.</summary>
[Trait("Category", "Kernel")]
public class ResamplerTests
{
    [Theory]
    [InlineData(InterpolationFilter.Nearest, CoordinateTransform.Asymmetric, 7, 5, 14, 10)]
    [InlineData(InterpolationFilter.Linear, CoordinateTransform.HalfPixel, 16, 16, 32, 32)]
    [InlineData(InterpolationFilter.Linear, CoordinateTransform.AlignCorners, 9, 17, 4, 33)]
    [InlineData(InterpolationFilter.Linear, CoordinateTransform.PytorchHalfPixel, 1, 255, 3, 1000)]
    [InlineData(InterpolationFilter.Cubic, CoordinateTransform.HalfPixel, 13, 11, 29, 7)]
    [InlineData(InterpolationFilter.Linear, CoordinateTransform.TfCropAndResize, 10, 12, 8, 9)]
    [InlineData(InterpolationFilter.Linear, CoordinateTransform.HalfPixel, 4, 3000, 8, 2500)]
    public void Separable_forward_matches_the_reference(InterpolationFilter filter, CoordinateTransform transform, int inH, int inW, int outH, int outW)
    {
        AxisSampling Axis(int i, int o) => Interpolation.Build(i, o, (double)o / i, o, filter, transform, NearestRounding.RoundPreferFloor,
            roiStart: transform == CoordinateTransform.TfCropAndResize ? -0.2 : 0, roiEnd: transform == CoordinateTransform.TfCropAndResize ? 1.1 : 1);
        var resampler = new Resampler([Axis(inH, outH), Axis(inW, outW)], extrapolation: -3);
        var x = TensorAssert.Random(inH * inW + 1, -2, 2, inH * inW);
        var fast = new float[outH * outW];
        var reference = new float[outH * outW];
        resampler.Forward(x.Floats, fast, 0, 1);
        resampler.Forward2Reference(x.Floats, reference);
        for (int i = 0; i < fast.Length; i++)
            Assert.True(Math.Abs(reference[i] - fast[i]) <= 1e-5f * (1 + Math.Abs(reference[i])), $"at {i}: reference {reference[i]}, separable {fast[i]}");
    }
}
