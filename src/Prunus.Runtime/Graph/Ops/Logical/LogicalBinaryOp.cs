using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Base of And, Or and Xor: two bool inputs broadcast together into a bool output.</summary>
public abstract class LogicalBinaryOp<TOp> : Operator where TOp : struct, IScalarBinaryOp<bool>
{
    /// <inheritdoc/>
    public override bool IsDifferentiable(int index) => false;

    /// <inheritdoc/>
    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        ctx.ExpectType(0, DataType.Bool);
        ctx.ExpectType(1, DataType.Bool);
        return [new TensorInfo(DataType.Bool, BroadcastBinaryOp.BroadcastShape(ctx, ctx.Shape(0), ctx.Shape(1)))];
    }

    /// <inheritdoc/>
    public override Kernel CreateKernel(NodeContext ctx) =>
        new LogicKernel(BroadcastLayout.Create(ctx.OutputInfos[0].Shape, ctx.Shape(0), ctx.Shape(1)));

    private sealed class LogicKernel(BroadcastLayout layout) : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx) =>
            Broadcast.MapScalar<bool, TOp>(layout, Inputs[0].Span<bool>(), Inputs[1].Span<bool>(), Outputs[0].Span<bool>());

        public override string Algorithm => "logic-broadcast";
    }
}
