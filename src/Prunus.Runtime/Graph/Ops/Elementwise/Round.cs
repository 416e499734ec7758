using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Round: y = x rounded to the nearest integer, ties to even; float32 or float64. Its gradient is zero, so none flows.</summary>
public sealed class RoundOp : Operator
{
    public override string OpType => "Round";

    // A step function: zero gradient almost everywhere.
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Type is not (DataType.Float32 or DataType.Float64)) throw ctx.Error($"input type {x.Type} is not supported (use Float32 or Float64)");
        return [x];
    }

    public override Kernel CreateKernel(NodeContext ctx) => new RoundKernel();

    private sealed class RoundKernel : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx)
        {
            if (Outputs[0].Type == DataType.Float32)
            {
                VectorLoops.Unary<Elementwise.RoundOp>(Inputs[0].Floats, Outputs[0].Floats);
                return;
            }
            var x = Inputs[0].Span<double>();
            var y = Outputs[0].Span<double>();
            for (int i = 0; i < y.Length; i++) y[i] = Math.Round(x[i], MidpointRounding.ToEven);
        }
    }
}
