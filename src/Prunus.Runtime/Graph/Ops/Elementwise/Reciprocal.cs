using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Reciprocal: y = 1/x.</summary>
public sealed class ReciprocalOp : UnaryFloatOp
{
    public override string OpType => "Reciprocal";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => new ReciprocalKernel();

    private sealed class ReciprocalKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.ReciprocalOp>(x, y);

        // dx += -dy y^2.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.ReciprocalGradOp>(y, dy, dx);
    }
}
