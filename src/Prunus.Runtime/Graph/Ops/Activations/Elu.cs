using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Elu: y = x for x &gt; 0, alpha (e^x - 1) otherwise (alpha defaults to 1).</summary>
public sealed class EluOp : UnaryFloatOp
{
    public override string OpType => "Elu";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => new EluKernel(ctx.Float("alpha", 1f));

    private sealed class EluKernel(float alpha) : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) =>
            VectorLoops.Unary(new Elementwise.EluFunc(alpha), x, y);

        // dx += dy where x > 0, dy alpha e^x otherwise.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate(new Elementwise.EluGradFunc(alpha), x, dy, dx);
    }
}
