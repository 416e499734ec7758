using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// FusedConv (ai.prunus): y = act(Conv(x, w, b) + z), Conv's inputs and attributes plus an optional residual z (input 3,
/// of y's shape) and an activation, both applied by the conv kernel to each block of output as it is written.
/// </summary>
public sealed class FusedConvOp : Operator
{
    private static readonly ConvOp Conv = new();

    public override string OpType => "FusedConv";
    public override string Domain => PrunusDomain.Name;

    // Inference only: no gradient flows through a fused op.
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        PrunusDomain.RejectTraining(ctx);
        PrunusDomain.ReadActivation(ctx);
        var outputs = Conv.InferOutputs(ctx);
        if (ctx.HasInput(3))
        {
            ctx.ExpectType(3, DataType.Float32);
            if (!ctx.Shape(3).AsSpan().SequenceEqual(outputs[0].Shape))
                throw ctx.Error($"the residual Z {ShapeMath.Format(ctx.Shape(3))} must have the output's shape {ShapeMath.Format(outputs[0].Shape)}");
        }
        return outputs;
    }

    public override Kernel CreateKernel(NodeContext ctx) => ConvOp.CreateKernel(ctx, PrunusDomain.ReadActivation(ctx), ctx.HasInput(3));
}
