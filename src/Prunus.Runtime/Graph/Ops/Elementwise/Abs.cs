using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Abs: y = |x| (float).</summary>
public sealed class AbsOp : UnaryFloatOp
{
    public override string OpType => "Abs";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => new AbsKernel();

    private sealed class AbsKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.AbsOp>(x, y);

        // dx += dy sign(x), with sign(0) = 0.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.AbsGradOp>(x, dy, dx);
    }
}
