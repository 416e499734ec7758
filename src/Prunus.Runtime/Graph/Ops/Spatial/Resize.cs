using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Graph.Ops;

/// <summary>
/// Resize: each output element is the nearest, (multi)linear or cubic interpolation of X at the input coordinate its
/// coordinate transformation gives, with output sizes from constant scales or sizes (optionally over a subset of axes).
/// </summary>
public sealed class ResizeOp : Operator
{
    public override string OpType => "Resize";

    // Resize-10 (X, scales), -11 and -13 (roi, scales, sizes and the interpolation attributes), -18 (axes,
    // keep_aspect_ratio_policy, antialias) and -19 (half_pixel_symmetric).
    public override OpsetRange? Opsets => OpsetRange.Since(10);

    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var plan = Read(ctx);
        return [new TensorInfo(DataType.Float32, plan.OutputShape)];
    }

    public override Kernel CreateKernel(NodeContext ctx) => new ResampleKernel(Read(ctx));

    /// <summary>Reads the node in the form of the model's opset.</summary>
    private static ResamplePlan Read(NodeContext ctx)
    {
        if (ctx.Opset < 10) throw ctx.Error($"Resize exists from opset 10; the model imports opset {ctx.Opset} (use Upsample)");
        var x = ctx.Input(0);
        if (x.Type != DataType.Float32) throw ctx.Error($"supports float32 input only, got {x.Type}");
        var filter = ResampleArguments.Filter(ctx, ctx.String("mode", "nearest"), allowCubic: ctx.Opset >= 11);
        if (ctx.Opset == 10)
        {
            // Resize-10 has no coordinate attributes; ONNX Runtime (and PyTorch's exports of that era) sample it as
            // Upsample does: asymmetric coordinates, nearest by floor when enlarging and ceil when shrinking.
            var s = ResampleArguments.ConstantValues(ctx, 1) ?? throw ctx.Error("input 1 (scales) is required");
            return ResampleArguments.Resolve(ctx, x.Shape, s, null, null, null, filter, CoordinateTransform.Asymmetric,
                NearestRounding.Simple, -0.75, false, 0, "stretch");
        }

        var transform = ResampleArguments.Transform(ctx, ctx.String("coordinate_transformation_mode", "half_pixel"));
        // roi matters to tf_crop_and_resize only; other modes ignore it, even when it is not known at plan time.
        var roi = transform == CoordinateTransform.TfCropAndResize ? ResampleArguments.ConstantValues(ctx, 1) : null;
        var scales = ResampleArguments.ConstantValues(ctx, 2);
        var sizes = ctx.HasInput(3) ? ShapeArgs.IntsFromInputOrAttribute(ctx, 3, "sizes") : null;
        if (sizes is { Length: 0 }) sizes = null;
        if ((scales is null) == (sizes is null))
            throw ctx.Error(scales is null ? "one of scales (input 2) and sizes (input 3) must be given"
                : "scales (input 2) and sizes (input 3) cannot both be given");

        int[]? axes = null;
        string policy = "stretch";
        if (ctx.Opset >= 18)
        {
            if (ctx.Int("antialias", 0) != 0)
                throw ctx.Error("antialias=1 is not supported (anti-aliased downsampling); export without antialias");
            if (ctx.Ints("axes") is { } a) axes = ShapeArgs.Axes(ctx, a, x.Rank);
            policy = ctx.String("keep_aspect_ratio_policy", "stretch");
        }
        var rounding = ResampleArguments.Rounding(ctx, ctx.String("nearest_mode", "round_prefer_floor"));
        return ResampleArguments.Resolve(ctx, x.Shape, scales, sizes, axes, roi, filter, transform, rounding,
            ctx.Float("cubic_coeff_a", -0.75f), ctx.Int("exclude_outside", 0) != 0, ctx.Float("extrapolation_value", 0f), policy);
    }
}

/// <summary>Output shape and per-axis sampling tables of a Resize or Upsample node.</summary>
internal sealed record ResamplePlan(int[] OutputShape, AxisSampling[] Axes, float Extrapolation);

/// <summary>Reading and checking the arguments Resize and Upsample share.</summary>
internal static class ResampleArguments
{
    /// <summary>The values of constant input <paramref name="i"/> as doubles; null when absent or empty (opset 11 passes empty tensors).</summary>
    public static double[]? ConstantValues(NodeContext ctx, int i)
    {
        if (!ctx.HasInput(i)) return null;
        // The output shape depends on it, so it must be known when the plan is compiled.
        var t = ctx.RequireConstant(i);
        if (t.Length == 0) return null;
        var v = new double[t.Length];
        for (int k = 0; k < v.Length; k++) v[k] = t.GetAsDouble(k);
        return v;
    }

    public static InterpolationFilter Filter(NodeContext ctx, string mode, bool allowCubic) => mode switch
    {
        "nearest" => InterpolationFilter.Nearest,
        "linear" => InterpolationFilter.Linear,
        "cubic" when allowCubic => InterpolationFilter.Cubic,
        _ => throw ctx.Error($"mode '{mode}' is not one of nearest, linear{(allowCubic ? ", cubic" : "")}"),
    };

    public static CoordinateTransform Transform(NodeContext ctx, string mode) => mode switch
    {
        "half_pixel" => CoordinateTransform.HalfPixel,
        "pytorch_half_pixel" => CoordinateTransform.PytorchHalfPixel,
        "align_corners" => CoordinateTransform.AlignCorners,
        "asymmetric" => CoordinateTransform.Asymmetric,
        // Defined by Resize-11 only, but converters still emit it at later opsets.
        "tf_half_pixel_for_nn" => CoordinateTransform.TfHalfPixelForNearest,
        "tf_crop_and_resize" => CoordinateTransform.TfCropAndResize,
        "half_pixel_symmetric" when ctx.Opset >= 19 => CoordinateTransform.HalfPixelSymmetric,
        "half_pixel_symmetric" => throw ctx.Error($"coordinate_transformation_mode half_pixel_symmetric needs opset 19; the model imports opset {ctx.Opset}"),
        _ => throw ctx.Error($"coordinate_transformation_mode '{mode}' is not one of half_pixel, pytorch_half_pixel, align_corners, asymmetric, tf_half_pixel_for_nn, tf_crop_and_resize, half_pixel_symmetric"),
    };

    public static NearestRounding Rounding(NodeContext ctx, string mode) => mode switch
    {
        "round_prefer_floor" => NearestRounding.RoundPreferFloor,
        "round_prefer_ceil" => NearestRounding.RoundPreferCeil,
        "floor" => NearestRounding.Floor,
        "ceil" => NearestRounding.Ceil,
        _ => throw ctx.Error($"nearest_mode '{mode}' is not one of round_prefer_floor, round_prefer_ceil, floor, ceil"),
    };

    /// <summary>
    /// Output sizes and sampling tables. <paramref name="scales"/>, <paramref name="sizes"/> and <paramref name="roi"/>
    /// (starts then ends) refer to <paramref name="axes"/>, or to every axis when it is null.
    /// </summary>
    public static ResamplePlan Resolve(NodeContext ctx, int[] input, double[]? scales, long[]? sizes, int[]? axes, double[]? roi,
        InterpolationFilter filter, CoordinateTransform transform, NearestRounding rounding, double cubicA, bool excludeOutside,
        float extrapolation, string policy)
    {
        int rank = input.Length;
        axes ??= Enumerable.Range(0, rank).ToArray();
        int n = axes.Length;
        if (scales is not null && scales.Length != n)
            throw ctx.Error($"scales has {scales.Length} values but {n} are needed (one per {(n == rank ? "input axis" : "listed axis")})");
        if (sizes is not null && sizes.Length != n)
            throw ctx.Error($"sizes has {sizes.Length} values but {n} are needed (one per {(n == rank ? "input axis" : "listed axis")})");
        var roiStart = new double[rank];
        var roiEnd = Enumerable.Repeat(1.0, rank).ToArray();
        if (transform == CoordinateTransform.TfCropAndResize)
        {
            if (roi is null || roi.Length != 2 * n)
                throw ctx.Error($"tf_crop_and_resize needs roi (input 1) with {2 * n} values (starts, then ends), got {roi?.Length ?? 0}");
            for (int k = 0; k < n; k++) { roiStart[axes[k]] = roi[k]; roiEnd[axes[k]] = roi[n + k]; }
        }

        var scale = Enumerable.Repeat(1.0, rank).ToArray();
        var output = (int[])input.Clone();
        var length = input.Select(d => (double)d).ToArray();
        if (scales is not null)
        {
            for (int k = 0; k < n; k++)
            {
                int a = axes[k];
                if (!(scales[k] > 0) || double.IsInfinity(scales[k])) throw ctx.Error($"scales must be positive and finite, got [{string.Join(",", scales)}]");
                scale[a] = scales[k];
                length[a] = scales[k] * input[a];
                double size = Math.Floor(input[a] * (roiEnd[a] - roiStart[a]) * scales[k]);
                if (size > int.MaxValue) throw ctx.Error($"scale {scales[k]} makes axis {a} longer than {int.MaxValue}");
                output[a] = (int)Math.Max(0, size);
            }
        }
        else
        {
            for (int k = 0; k < n; k++)
                if (sizes![k] < 0 || sizes[k] > int.MaxValue) throw ctx.Error($"sizes must be non-negative, got [{string.Join(",", sizes)}]");
            switch (policy)
            {
                case "stretch":
                    for (int k = 0; k < n; k++)
                    {
                        int a = axes[k];
                        output[a] = (int)sizes![k];
                        length[a] = sizes[k];
                        scale[a] = input[a] == 0 ? 1 : (double)sizes[k] / input[a];
                    }
                    break;
                case "not_larger":
                case "not_smaller":
                {
                    // One scale for every listed axis, the smallest (largest) of size/in, so the aspect ratio is kept.
                    var ratios = Enumerable.Range(0, n).Select(k => (double)sizes![k] / input[axes[k]]).ToArray();
                    double s = policy == "not_larger" ? ratios.Min() : ratios.Max();
                    foreach (int a in axes)
                    {
                        scale[a] = s;
                        length[a] = s * input[a];
                        output[a] = (int)(s * input[a] + 0.5);
                    }
                    break;
                }
                default:
                    throw ctx.Error($"keep_aspect_ratio_policy '{policy}' is not one of stretch, not_larger, not_smaller");
            }
        }

        var sampling = new AxisSampling[rank];
        for (int a = 0; a < rank; a++)
        {
            if (input[a] == 0 && output[a] > 0) throw ctx.Error($"axis {a} is empty and cannot be resized to {output[a]}");
            sampling[a] = Interpolation.Build(input[a], output[a], scale[a], length[a], filter, transform, rounding, cubicA, excludeOutside,
                roiStart[a], roiEnd[a]);
        }
        return new ResamplePlan(output, sampling, extrapolation);
    }
}

/// <summary>Runs a <see cref="ResamplePlan"/>: forward samples X, backward scatters dY back through the same taps.</summary>
internal sealed class ResampleKernel : Kernel, IParallelWork
{
    private const int ParallelThreshold = 1 << 13; // output elements; below this, one thread is faster than dispatch
    private readonly Resampler _resampler;
    private bool _backward;
    private int _chunks;

    public ResampleKernel(ResamplePlan plan) => _resampler = new Resampler(plan.Axes, plan.Extrapolation);

    public override string Algorithm => $"resample-{_resampler.SampledAxes}d";

    public override void Forward(RunContext ctx) => Run(ctx, backward: false);

    public override void Backward(RunContext ctx)
    {
        if (OutputGrads[0] is null || InputGrads[0] is null) return;
        Run(ctx, backward: true);
    }

    private void Run(RunContext ctx, bool backward)
    {
        _backward = backward;
        int blocks = _resampler.Blocks;
        long work = (long)blocks * Math.Max(_resampler.OutputBlock, _resampler.InputBlock);
        _chunks = work < ParallelThreshold ? 1 : Math.Min(blocks, ctx.Pool.Threads * 4);
        if (_chunks <= 1) { _chunks = 1; ((IParallelWork)this).Run(0); }
        else ctx.Pool.For(_chunks, this);
    }

    void IParallelWork.Run(int index)
    {
        int blocks = _resampler.Blocks;
        int from = (int)((long)blocks * index / _chunks), to = (int)((long)blocks * (index + 1) / _chunks);
        if (to <= from) return;
        if (_backward) _resampler.Backward(OutputGrads[0]!.Floats, InputGrads[0]!.Floats, from, to - from);
        else _resampler.Forward(Inputs[0].Floats, Outputs[0].Floats, from, to - from);
    }
}
