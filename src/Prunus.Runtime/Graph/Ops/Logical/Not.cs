using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Not: y = not x, elementwise, on bools.</summary>
public sealed class NotOp : Operator
{
    public override string OpType => "Not";
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        ctx.ExpectType(0, DataType.Bool);
        return [ctx.Input(0)];
    }

    public override Kernel CreateKernel(NodeContext ctx) => new NotKernel();

    private sealed class NotKernel : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx)
        {
            var x = Inputs[0].Span<bool>();
            var y = Outputs[0].Span<bool>();
            for (int i = 0; i < y.Length; i++) y[i] = !x[i];
        }
    }
}
