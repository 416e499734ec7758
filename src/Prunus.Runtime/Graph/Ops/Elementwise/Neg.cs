using System.Numerics.Tensors;
using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Neg: y = -x (float).</summary>
public sealed class NegOp : UnaryFloatOp
{
    public override string OpType => "Neg";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => new NegKernel();

    private sealed class NegKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.NegOp>(x, y);

        // dx -= dy.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            TensorPrimitives.Subtract(dx, dy, dx);
    }
}
