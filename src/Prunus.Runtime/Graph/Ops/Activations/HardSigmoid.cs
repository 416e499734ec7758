using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>HardSigmoid: y = max(0, min(1, alpha x + beta)) (defaults alpha 0.2, beta 0.5).</summary>
public sealed class HardSigmoidOp : UnaryFloatOp
{
    public override string OpType => "HardSigmoid";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => new HardSigmoidKernel(ctx.Float("alpha", 0.2f), ctx.Float("beta", 0.5f));

    private sealed class HardSigmoidKernel(float alpha, float beta) : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) =>
            VectorLoops.Unary(new Elementwise.HardSigmoidFunc(alpha, beta), x, y);

        // dx += alpha dy where 0 < alpha x + beta < 1.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate(new Elementwise.HardSigmoidGradFunc(alpha, beta), x, dy, dx);
    }
}
