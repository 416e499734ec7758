using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Relu: y = max(x, 0).</summary>
public sealed class ReluOp : Operator
{
    public override string OpType => "Relu";
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    public override TensorInfo[] InferOutputs(NodeContext ctx) => [ctx.Input(0)];
    public override Kernel CreateKernel(NodeContext ctx) => new ReluKernel();

    private sealed class ReluKernel : Kernel
    {
        public override void Forward(RunContext ctx) => Elementwise.Relu(Inputs[0].Floats, Outputs[0].Floats);

        // dx += dy where y > 0 (reads the output so that the input buffer may be reused).
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            Elementwise.ReluBackwardAccumulate(Outputs[0].Floats, dy.Floats, dx.Floats);
        }
    }
}
