using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Softplus: y = ln(1 + e^x), computed without overflow.</summary>
public sealed class SoftplusOp : UnaryFloatOp
{
    public override string OpType => "Softplus";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => new SoftplusKernel();

    private sealed class SoftplusKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.SoftplusOp>(x, y);

        // dx += dy sigmoid(x).
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.SoftplusGradOp>(x, dy, dx);
    }
}
