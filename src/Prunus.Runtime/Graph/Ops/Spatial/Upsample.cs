using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Upsample (deprecated in opset 10 for Resize): output size floor(in·scale) per axis, nearest or (multi)linear
/// sampling at asymmetric coordinates x/scale, through the Resize kernel.
/// </summary>
public sealed class UpsampleOp : Operator
{
    public override string OpType => "Upsample";

    // Upsample-7 (scales attribute) and -9 (scales input); -1 (height_scale, width_scale) is not handled.
    public override OpsetRange? Opsets => new(7, 9);

    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx) => [new TensorInfo(DataType.Float32, Read(ctx).OutputShape)];

    public override Kernel CreateKernel(NodeContext ctx) => new ResampleKernel(Read(ctx));

    private static ResamplePlan Read(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Type != DataType.Float32) throw ctx.Error($"supports float32 input only, got {x.Type}");
        // Opset 9 moved scales from the attribute to input 1; read whichever the node has.
        double[]? scales = ctx.HasInput(1) ? ResampleArguments.ConstantValues(ctx, 1)
            : ctx.Floats("scales")?.Select(f => (double)f).ToArray();
        if (scales is null)
            throw ctx.Error(ctx.HasAttribute("height_scale") ? "the opset 1 form (height_scale, width_scale) is not supported; use opset 7 or later"
                : "scales are required (attribute before opset 9, input 1 from opset 9)");
        // Modes as ONNX Runtime runs Upsample: asymmetric coordinates, nearest by floor (ceil when a scale is below 1).
        var filter = ResampleArguments.Filter(ctx, ctx.String("mode", "nearest"), allowCubic: false);
        return ResampleArguments.Resolve(ctx, x.Shape, scales, null, null, null, filter, CoordinateTransform.Asymmetric,
            NearestRounding.Simple, -0.75, false, 0, "stretch");
    }
}
