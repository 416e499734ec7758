using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>LeakyRelu: y = x for x &gt;= 0, alpha x otherwise (alpha defaults to 0.01).</summary>
public sealed class LeakyReluOp : UnaryFloatOp
{
    public override string OpType => "LeakyRelu";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => new LeakyReluKernel(ctx.Float("alpha", 0.01f));

    private sealed class LeakyReluKernel(float alpha) : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) =>
            VectorLoops.Unary(new Elementwise.LeakyReluFunc(alpha), x, y);

        // dx += dy where x > 0, alpha dy otherwise.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate(new Elementwise.LeakyReluGradFunc(alpha), x, dy, dx);
    }
}
