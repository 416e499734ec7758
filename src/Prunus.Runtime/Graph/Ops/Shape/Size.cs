using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Size: the input's number of elements as an int64 scalar; folded to a constant at plan time.</summary>
public sealed class SizeOp : Operator
{
    public override string OpType => "Size";
    public override bool DependsOnlyOnShapes => true;
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        ctx.Input(0);
        return [new TensorInfo(DataType.Int64, [])];
    }

    public override Kernel CreateKernel(NodeContext ctx) => new SizeKernel(ctx.Input(0).Length);

    private sealed class SizeKernel(long size) : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx) => Outputs[0].Span<long>()[0] = size;
    }
}
