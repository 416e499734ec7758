using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Erf: y = erf(x), the error function (within a few ulp).</summary>
public sealed class ErfOp : UnaryFloatOp
{
    public override string OpType => "Erf";
    public override OpsetRange? Opsets => OpsetRange.Since(9);

    public override Kernel CreateKernel(NodeContext ctx) => new ErfKernel();

    private sealed class ErfKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.ErfOp>(x, y);

        // dx += dy 2/sqrt(pi) e^(-x^2).
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.ErfGradOp>(x, dy, dx);
    }
}
