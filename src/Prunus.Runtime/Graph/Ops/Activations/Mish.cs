using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Mish: y = x tanh(softplus(x)).</summary>
public sealed class MishOp : UnaryFloatOp
{
    public override string OpType => "Mish";
    public override OpsetRange? Opsets => OpsetRange.Since(18);

    public override Kernel CreateKernel(NodeContext ctx) => new MishKernel();

    private sealed class MishKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.MishOp>(x, y);

        // dx += dy (t + x (1 - t^2) sigmoid(x)), t = tanh(softplus(x)).
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.MishGradOp>(x, dy, dx);
    }
}
