using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Sigmoid: y = 1 / (1 + e^-x).</summary>
public sealed class SigmoidOp : UnaryFloatOp
{
    public override string OpType => "Sigmoid";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => new SigmoidKernel();

    private sealed class SigmoidKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.SigmoidOp>(x, y);

        // dx += dy y (1 - y).
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.SigmoidGradOp>(y, dy, dx);
    }
}
