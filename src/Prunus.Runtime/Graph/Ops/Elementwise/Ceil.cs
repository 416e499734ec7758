using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Ceil: y = ceil(x); its gradient is zero, so none flows through it.</summary>
public sealed class CeilOp : UnaryFloatOp
{
    public override string OpType => "Ceil";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    // A step function: zero gradient almost everywhere, so the input is not differentiable through it.
    public override bool IsDifferentiable(int index) => false;

    public override Kernel CreateKernel(NodeContext ctx) => new CeilKernel();

    private sealed class CeilKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.CeilOp>(x, y);

        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) { }
    }
}
