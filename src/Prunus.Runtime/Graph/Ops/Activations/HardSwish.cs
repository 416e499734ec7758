using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>HardSwish: y = x max(0, min(1, x/6 + 1/2)).</summary>
public sealed class HardSwishOp : UnaryFloatOp
{
    public override string OpType => "HardSwish";
    public override OpsetRange? Opsets => OpsetRange.Since(14);

    public override Kernel CreateKernel(NodeContext ctx) => new HardSwishKernel();

    private sealed class HardSwishKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.HardSwishOp>(x, y);

        // dx += dy (0 below -3, 1 above 3, (2x + 3)/6 between).
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.HardSwishGradOp>(x, dy, dx);
    }
}
