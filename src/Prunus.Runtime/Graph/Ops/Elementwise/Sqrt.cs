using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Sqrt: y = sqrt(x).</summary>
public sealed class SqrtOp : UnaryFloatOp
{
    public override string OpType => "Sqrt";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => new SqrtKernel();

    private sealed class SqrtKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.SqrtOp>(x, y);

        // dx += dy / (2y).
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.SqrtGradOp>(y, dy, dx);
    }
}
