using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>FusedConv (ai.prunus): y = act(Conv(x, w, b)), Conv's inputs and attributes plus an activation applied in the conv kernel.</summary>
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
        return Conv.InferOutputs(ctx);
    }

    public override Kernel CreateKernel(NodeContext ctx) => ConvOp.CreateKernel(ctx, PrunusDomain.ReadActivation(ctx));
}
