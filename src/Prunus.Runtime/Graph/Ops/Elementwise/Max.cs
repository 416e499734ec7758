using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Max: elementwise maximum of 1..N inputs with broadcasting; the gradient goes to the (first) input that was selected.</summary>
public sealed class MaxOp : ExtremumOp
{
    public override string OpType => "Max";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => ctx.Input(0).Type == DataType.Float32
        ? new MaxKernel(ctx)
        : new ExtremumScalarKernel<ScalarFamilies.Max>(ctx);

    private sealed class MaxKernel(NodeContext ctx)
        : ExtremumFloatKernel<Elementwise.MaxOp, Elementwise.MaxGradFirstOp, Elementwise.MaxGradSecondOp>(ctx);
}
