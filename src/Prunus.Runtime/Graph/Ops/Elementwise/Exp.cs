using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Exp: y = e^x.</summary>
public sealed class ExpOp : UnaryFloatOp
{
    public override string OpType => "Exp";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => new ExpKernel();

    private sealed class ExpKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.ExpOp>(x, y);

        // dx += dy y.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.ExpGradOp>(y, dy, dx);
    }
}
