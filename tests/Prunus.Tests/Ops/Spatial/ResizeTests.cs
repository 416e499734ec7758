using Prunus.Graph.Planning;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Conformance;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Spatial;

[Trait("Category", "Kernel")]
public class ResizeTests
{
    private static Tensor Floats(params float[] v) => Tensor.From(v, v.Length);
    private static Tensor Longs(params long[] v) => Tensor.From(v, v.Length);

    /// <summary>Resize with constant scales (roi absent), opset 13 unless given.</summary>
    private static OpCase WithScales(Tensor x, float[] scales, string mode, string transform = "half_pixel", long opset = 13) =>
        new OpCase("Resize").Input(x).Absent().Const(Floats(scales)).Attr("mode", mode)
            .Attr("coordinate_transformation_mode", transform).WithOpset(opset);

    /// <summary>Resize with constant sizes.</summary>
    private static OpCase WithSizes(Tensor x, long[] sizes, string mode, string transform = "half_pixel", long opset = 13) =>
        new OpCase("Resize").Input(x).Absent().Absent().Const(Longs(sizes)).Attr("mode", mode)
            .Attr("coordinate_transformation_mode", transform).WithOpset(opset);

    [Fact]
    public void Nearest_upsampling_repeats_pixels_by_hand()
    {
        var x = Tensor.From(new[] { 1f, 2f, 3f, 4f }, 1, 1, 2, 2);
        var y = WithScales(x, [1, 1, 2, 3], "nearest").Run1();
        Assert.Equal([1, 1, 4, 6], y.Shape);
        Assert.Equal(new float[] { 1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4 }, y.Floats.ToArray());
    }

    [Fact]
    public void Linear_half_pixel_and_align_corners_by_hand()
    {
        // One row [1, 3] doubled: half_pixel samples at -0.25, 0.25, 0.75, 1.25 (clamped at the ends).
        var x = Tensor.From(new[] { 1f, 3f }, 1, 2);
        TensorAssert.Close([1f, 1.5f, 2.5f, 3f], WithScales(x, [1, 2], "linear").Run1().Floats);
        // align_corners samples at 0, 1/3, 2/3, 1; asymmetric at 0, 0.5, 1, 1.5.
        TensorAssert.Close([1f, 5f / 3, 7f / 3, 3f], WithScales(x, [1, 2], "linear", "align_corners").Run1().Floats);
        TensorAssert.Close([1f, 2f, 3f, 3f], WithScales(x, [1, 2], "linear", "asymmetric").Run1().Floats);
    }

    [Fact]
    public void Nearest_modes_round_halves_as_named()
    {
        // asymmetric x/2 over [10, 20, 30]: coordinates 0, 0.5, 1, 1.5, 2, 2.5.
        var x = Tensor.From(new[] { 10f, 20f, 30f }, 3);
        float[] Run(string nearest) => WithScales(x, [2], "nearest", "asymmetric").Attr("nearest_mode", nearest).Run1().Floats.ToArray();
        Assert.Equal(new float[] { 10, 10, 20, 20, 30, 30 }, Run("round_prefer_floor"));
        Assert.Equal(new float[] { 10, 20, 20, 30, 30, 30 }, Run("round_prefer_ceil"));
        Assert.Equal(new float[] { 10, 10, 20, 20, 30, 30 }, Run("floor"));
        Assert.Equal(new float[] { 10, 20, 20, 30, 30, 30 }, Run("ceil"));
    }

    public static TheoryData<string, string, string> Modes()
    {
        var d = new TheoryData<string, string, string>();
        foreach (var t in new[] { "half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric", "tf_half_pixel_for_nn" })
        {
            foreach (var n in new[] { "round_prefer_floor", "round_prefer_ceil", "floor", "ceil" }) d.Add("nearest", t, n);
            d.Add("linear", t, "");
            d.Add("cubic", t, "");
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(Modes))]
    public void Matches_the_reference_on_odd_sizes_by_scales_and_by_sizes(string mode, string transform, string nearest)
    {
        var x = TensorAssert.Random(11, -2, 2, 2, 3, 5, 7);
        var options = new ResizeReference.Options { Mode = mode, Transform = transform, Nearest = nearest.Length > 0 ? nearest : "round_prefer_floor" };
        // Scales that enlarge one axis and shrink the other, with outputs floor(in·scale) = 8 and 4.
        float[] scales = [1, 1, 1.7f, 0.6f];
        var byScales = WithScales(x, scales, mode, transform);
        if (nearest.Length > 0) byScales.Attr("nearest_mode", nearest);
        var y = byScales.Run1();
        Assert.Equal([2, 3, 8, 4], y.Shape);
        TensorAssert.Close(ResizeReference.Run(x.Floats.ToArray(), x.Shape, scales.Select(s => (double)s).ToArray(), y.Shape, options), y.Floats, 1e-5, 1e-5);

        long[] sizes = [2, 3, 4, 11];
        var bySizes = WithSizes(x, sizes, mode, transform);
        if (nearest.Length > 0) bySizes.Attr("nearest_mode", nearest);
        var z = bySizes.Run1();
        Assert.Equal([2, 3, 4, 11], z.Shape);
        double[] sizeScales = [1, 1, 4 / 5.0, 11 / 7.0];
        TensorAssert.Close(ResizeReference.Run(x.Floats.ToArray(), x.Shape, sizeScales, z.Shape, options), z.Floats, 1e-5, 1e-5);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("cubic")]
    public void Cubic_and_linear_match_the_reference_with_exclude_outside_and_another_coefficient(string mode)
    {
        var x = TensorAssert.Random(12, -1, 1, 1, 2, 6, 5);
        var y = WithScales(x, [1, 1, 1.5f, 0.8f], mode).Attr("cubic_coeff_a", -0.5f).Attr("exclude_outside", 1L).Run1();
        var expected = ResizeReference.Run(x.Floats.ToArray(), x.Shape, [1, 1, 1.5f, 0.8f], y.Shape,
            new ResizeReference.Options { Mode = mode, CubicA = -0.5, ExcludeOutside = true });
        TensorAssert.Close(expected, y.Floats, 1e-5, 1e-5);
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Lines_of_the_standard_lengths_match_the_reference(int n)
    {
        var x = TensorAssert.Random(n, -1, 1, n);
        foreach (var (mode, size) in new[] { ("linear", n * 3 / 2), ("cubic", n / 3), ("nearest", n + 1) })
        {
            if (n == 0 && size > 0) continue;
            var y = WithSizes(x, [size], mode, "half_pixel").Run1();
            Assert.Equal([size], y.Shape);
            TensorAssert.Close(ResizeReference.Run(x.Floats.ToArray(), [n], [n == 0 ? 1 : (double)size / n], [size], new ResizeReference.Options { Mode = mode }),
                y.Floats, 1e-5, 1e-5);
        }
    }

    [Fact]
    public void Resizes_every_axis_including_batch_and_one_dimensional_input()
    {
        var x = TensorAssert.Random(13, -1, 1, 3, 4, 5);
        float[] scales = [0.7f, 1.5f, 1.3f];
        var y = WithScales(x, scales, "linear").Run1();
        Assert.Equal([2, 6, 6], y.Shape);
        TensorAssert.Close(ResizeReference.Run(x.Floats.ToArray(), x.Shape, scales.Select(s => (double)s).ToArray(), y.Shape,
            new ResizeReference.Options { Mode = "linear" }), y.Floats, 1e-5, 1e-5);

        var v = TensorAssert.Random(14, -1, 1, 7);
        var w = WithSizes(v, [3], "cubic").Run1();
        TensorAssert.Close(ResizeReference.Run(v.Floats.ToArray(), [7], [3 / 7.0], [3], new ResizeReference.Options { Mode = "cubic" }), w.Floats, 1e-5, 1e-5);
    }

    [Fact]
    public void Tf_crop_and_resize_uses_the_roi_and_the_extrapolation_value()
    {
        var x = TensorAssert.Random(15, 0, 1, 1, 1, 4, 5);
        double[] roi = [0, 0, 0.2, -0.3, 1, 1, 1.3, 0.9];
        var y = new OpCase("Resize").Input(x).Const(Floats(roi.Select(r => (float)r).ToArray())).Absent().Const(Longs(1, 1, 5, 6))
            .Attr("mode", "linear").Attr("coordinate_transformation_mode", "tf_crop_and_resize").Attr("extrapolation_value", 7f).WithOpset(13).Run1();
        var expected = ResizeReference.Run(x.Floats.ToArray(), x.Shape, [1, 1, 5 / 4.0, 6 / 5.0], [1, 1, 5, 6],
            new ResizeReference.Options { Mode = "linear", Transform = "tf_crop_and_resize", Extrapolation = 7, Roi = roi.Select(r => (double)(float)r).ToArray() });
        TensorAssert.Close(expected, y.Floats, 1e-5, 1e-5);
        Assert.Contains(7f, y.Floats.ToArray());
    }

    [Fact]
    public void Opset_18_axes_and_aspect_ratio_policies()
    {
        var x = TensorAssert.Random(16, -1, 1, 1, 2, 4, 6);
        // axes [3, 2]: sizes are given for W then H.
        var y = new OpCase("Resize").Input(x).Absent().Absent().Const(Longs(9, 5)).Attr("mode", "linear").Attr("axes", 3L, 2L).WithOpset(18).Run1();
        Assert.Equal([1, 2, 5, 9], y.Shape);
        TensorAssert.Close(ResizeReference.Run(x.Floats.ToArray(), x.Shape, [1, 1, 5 / 4.0, 9 / 6.0], y.Shape,
            new ResizeReference.Options { Mode = "linear" }), y.Floats, 1e-5, 1e-5);

        // not_larger: one scale min(8/4, 9/6) = 1.5 for both axes; not_smaller: max = 2.
        Tensor Policy(string p) => new OpCase("Resize").Input(x).Absent().Absent().Const(Longs(8, 9)).Attr("mode", "nearest")
            .Attr("axes", 2L, 3L).Attr("keep_aspect_ratio_policy", p).WithOpset(18).Run1();
        var small = Policy("not_larger");
        Assert.Equal([1, 2, 6, 9], small.Shape);
        TensorAssert.Close(ResizeReference.Run(x.Floats.ToArray(), x.Shape, [1, 1, 1.5, 1.5], small.Shape, new ResizeReference.Options()), small.Floats);
        Assert.Equal([1, 2, 8, 12], Policy("not_smaller").Shape);
    }

    [Fact]
    public void Opset_19_half_pixel_symmetric_centres_a_rounded_output()
    {
        var x = TensorAssert.Random(17, -1, 1, 1, 1, 5, 5);
        float[] scales = [1, 1, 1.5f, 0.7f];
        var y = WithScales(x, scales, "linear", "half_pixel_symmetric", opset: 19).Run1();
        TensorAssert.Close(ResizeReference.Run(x.Floats.ToArray(), x.Shape, scales.Select(s => (double)s).ToArray(), y.Shape,
            new ResizeReference.Options { Mode = "linear", Transform = "half_pixel_symmetric" }), y.Floats, 1e-5, 1e-5);
        var e = Assert.Throws<ModelException>(() => WithScales(x, scales, "linear", "half_pixel_symmetric", opset: 18).Run1());
        Assert.Contains("needs opset 19", e.Message);
    }

    [Fact]
    public void Opset_10_form_samples_asymmetric_coordinates()
    {
        var x = Tensor.From(new[] { 1f, 3f, 5f }, 1, 3);
        var y = new OpCase("Resize").Input(x).Const(Floats(1, 2)).Attr("mode", "linear").WithOpset(10).Run1();
        TensorAssert.Close([1f, 2f, 3f, 4f, 5f, 5f], y.Floats);
        // Shrinking picks ceil(x / scale): 0.5 -> coordinates 0, 2 of [1, 3, 5, 7].
        var z = new OpCase("Resize").Input(Tensor.From(new[] { 1f, 3f, 5f, 7f }, 4)).Const(Floats(0.5f)).WithOpset(10).Run1();
        Assert.Equal(new float[] { 1, 5 }, z.Floats.ToArray());
    }

    [Fact]
    public void Rejects_what_it_cannot_do_with_clear_messages()
    {
        var x = TensorAssert.Random(18, -1, 1, 1, 1, 4, 4);
        Assert.Contains("antialias", Assert.Throws<ModelException>(() =>
            WithScales(x, [1, 1, 0.5f, 0.5f], "linear", opset: 18).Attr("antialias", 1L).Run1()).Message);
        Assert.Contains("cannot both be given", Assert.Throws<ModelException>(() =>
            new OpCase("Resize").Input(x).Absent().Const(Floats(1, 1, 2, 2)).Const(Longs(1, 1, 8, 8)).Run1()).Message);
        Assert.Contains("one of scales", Assert.Throws<ModelException>(() => new OpCase("Resize").Input(x).Run1()).Message);
        Assert.Contains("4 are needed", Assert.Throws<ModelException>(() => WithScales(x, [2, 2], "nearest").Run1()).Message);
        Assert.Contains("mode 'bicubic'", Assert.Throws<ModelException>(() => WithScales(x, [1, 1, 2, 2], "bicubic").Run1()).Message);
        Assert.Contains("must be a constant", Assert.Throws<ModelException>(() =>
            new OpCase("Resize").Input(x).Absent().Input(Floats(1, 1, 2, 2)).Run1()).Message);
        Assert.Contains("roi", Assert.Throws<ModelException>(() => WithSizes(x, [1, 1, 2, 2], "linear", "tf_crop_and_resize").Run1()).Message);
        // Outside tf_crop_and_resize the roi is ignored, even when it is computed at run time.
        Assert.Equal([1, 1, 8, 8], new OpCase("Resize").Input(x).Input(Floats(0, 0, 0, 0, 1, 1, 1, 1)).Const(Floats(1, 1, 2, 2)).Run1().Shape);
    }

    [Theory]
    [InlineData("nearest", "half_pixel")]
    [InlineData("linear", "half_pixel")]
    [InlineData("linear", "align_corners")]
    [InlineData("cubic", "asymmetric")]
    public void Gradient_matches_finite_differences(string mode, string transform)
    {
        // Nearest is piecewise constant in x and so is exactly linear: its gradient is the scatter of dy.
        GradCheck.Check(WithScales(TensorAssert.Random(19, -1, 1, 1, 2, 3, 5), [1, 1, 1.7f, 0.6f], mode, transform), eps: 1e-2f);
        GradCheck.Check(WithSizes(TensorAssert.Random(20, -1, 1, 2, 7), [2, 4], mode, transform), eps: 1e-2f);
    }

    [Fact]
    public void Gradient_over_three_resized_axes_and_crop_extrapolation()
    {
        GradCheck.Check(WithScales(TensorAssert.Random(21, -1, 1, 2, 3, 4), [1.5f, 1, 0.75f], "linear"), eps: 1e-2f);
        GradCheck.Check(new OpCase("Resize").Input(TensorAssert.Random(22, -1, 1, 1, 1, 4, 4)).Const(Floats(0, 0, -0.2f, 0.1f, 1, 1, 0.8f, 1.3f))
            .Absent().Const(Longs(1, 1, 3, 5)).Attr("mode", "linear").Attr("coordinate_transformation_mode", "tf_crop_and_resize").WithOpset(13), eps: 1e-2f);
    }

    [Fact]
    public void Large_planes_split_across_threads_like_one_thread()
    {
        var x = TensorAssert.Random(23, -1, 1, 2, 8, 33, 31);
        var c = WithScales(x, [1, 1, 2, 2], "linear");
        var two = c.Compile(new PlanOptions { Pool = TestPools.Two, InputGradients = new HashSet<string> { "in0" } });
        var one = c.Compile(new PlanOptions { Pool = TestPools.One, InputGradients = new HashSet<string> { "in0" } });
        var seed = TensorAssert.Random(24, -1, 1, 2, 8, 66, 62);
        foreach (var p in new[] { two, one })
        {
            p.Run();
            p.OutputGradient().CopyFrom(seed);
            p.Backward();
        }
        Assert.Equal(one.Output(0).Floats.ToArray(), two.Output(0).Floats.ToArray());
        Assert.Equal(one.Gradient("in0").Floats.ToArray(), two.Gradient("in0").Floats.ToArray());
        // Each input element of an exact 2x bilinear upsampling receives 4 taps' worth of weight in each axis pair: 1 in all.
        var ones = Tensor.Zeros(2, 8, 66, 62);
        ones.Floats.Fill(1);
        one.OutputGradient().CopyFrom(ones);
        one.Backward();
        Assert.All(one.Gradient("in0").Floats.ToArray(), g => Assert.Equal(4f, g, 1e-5f));
    }

    [Fact]
    public void Unchanged_leading_axes_fold_into_blocks_and_identity_copies()
    {
        var axes = new[] { 4, 3 }.Select(n => Interpolation.Build(n, n, 1, n, InterpolationFilter.Linear, CoordinateTransform.HalfPixel, NearestRounding.RoundPreferFloor)).ToList();
        Assert.All(axes, a => Assert.True(a.IsIdentity));
        axes.Add(Interpolation.Build(5, 10, 2, 10, InterpolationFilter.Linear, CoordinateTransform.HalfPixel, NearestRounding.RoundPreferFloor));
        var r = new Resampler(axes, 0);
        Assert.Equal((12, 5, 10, 1), (r.Blocks, r.InputBlock, r.OutputBlock, r.SampledAxes));
        var x = TensorAssert.Random(25, -1, 1, 4, 3, 5);
        var y = WithScales(x, [1, 1, 1], "cubic").Run1();
        Assert.Equal(x.Floats.ToArray(), y.Floats.ToArray());
    }

    [BackendTheory]
    [InlineData("test_resize_downsample_scales_cubic")]
    [InlineData("test_resize_downsample_scales_cubic_A_n0p5_exclude_outside")]
    [InlineData("test_resize_downsample_scales_cubic_align_corners")]
    [InlineData("test_resize_downsample_scales_linear")]
    [InlineData("test_resize_downsample_scales_linear_align_corners")]
    [InlineData("test_resize_downsample_scales_nearest")]
    [InlineData("test_resize_downsample_sizes_cubic")]
    [InlineData("test_resize_downsample_sizes_linear_pytorch_half_pixel")]
    [InlineData("test_resize_downsample_sizes_nearest")]
    [InlineData("test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn")]
    [InlineData("test_resize_tf_crop_and_resize")]
    [InlineData("test_resize_upsample_scales_cubic")]
    [InlineData("test_resize_upsample_scales_cubic_A_n0p5_exclude_outside")]
    [InlineData("test_resize_upsample_scales_cubic_align_corners")]
    [InlineData("test_resize_upsample_scales_cubic_asymmetric")]
    [InlineData("test_resize_upsample_scales_linear")]
    [InlineData("test_resize_upsample_scales_linear_align_corners")]
    [InlineData("test_resize_upsample_scales_nearest")]
    [InlineData("test_resize_upsample_sizes_cubic")]
    [InlineData("test_resize_upsample_sizes_nearest")]
    [InlineData("test_resize_upsample_sizes_nearest_ceil_half_pixel")]
    [InlineData("test_resize_upsample_sizes_nearest_floor_align_corners")]
    [InlineData("test_resize_upsample_sizes_nearest_round_prefer_ceil_asymmetric")]
    [InlineData("test_upsample_nearest")]
    public void Onnx_backend_case_passes(string name)
    {
        var result = ConformanceRunner.Run(BackendTestData.Case("node", name));
        Assert.True(result.Outcome == CaseOutcome.Passed, $"{name}: {result.Outcome} {result.Detail}");
    }
}
