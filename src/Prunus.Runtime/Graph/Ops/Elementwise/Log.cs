using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Log: y = ln x.</summary>
public sealed class LogOp : UnaryFloatOp
{
    public override string OpType => "Log";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => new LogKernel();

    private sealed class LogKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.LogOp>(x, y);

        // dx += dy / x.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.LogGradOp>(x, dy, dx);
    }
}
