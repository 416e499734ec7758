using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Min: elementwise minimum of 1..N inputs with broadcasting; the gradient goes to the (first) input that was selected.</summary>
public sealed class MinOp : ExtremumOp
{
    public override string OpType => "Min";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => ctx.Input(0).Type == DataType.Float32
        ? new MinKernel(ctx)
        : new ExtremumScalarKernel<ScalarFamilies.Min>(ctx);

    private sealed class MinKernel(NodeContext ctx)
        : ExtremumFloatKernel<Elementwise.MinOp, Elementwise.MinGradFirstOp, Elementwise.MinGradSecondOp>(ctx);
}
