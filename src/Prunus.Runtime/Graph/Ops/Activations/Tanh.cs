using System.Numerics.Tensors;
using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Tanh: y = tanh(x).</summary>
public sealed class TanhOp : UnaryFloatOp
{
    public override string OpType => "Tanh";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) => new TanhKernel();

    private sealed class TanhKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => TensorPrimitives.Tanh(x, y);

        // dx += dy (1 - y^2).
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.TanhGradOp>(y, dy, dx);
    }
}
