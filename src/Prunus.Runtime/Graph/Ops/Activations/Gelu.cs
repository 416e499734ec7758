using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Gelu (opset 20): y = x Phi(x) for approximate="none", 0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))) for "tanh".</summary>
public sealed class GeluOp : UnaryFloatOp
{
    public override string OpType => "Gelu";
    public override OpsetRange? Opsets => OpsetRange.Since(20);

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        _ = Tanh(ctx);
        return base.InferOutputs(ctx);
    }

    public override Kernel CreateKernel(NodeContext ctx) => Tanh(ctx) ? new GeluTanhKernel() : new GeluKernel();

    private static bool Tanh(NodeContext ctx) => ctx.String("approximate", "none") switch
    {
        "none" => false,
        "tanh" => true,
        var s => throw ctx.Error($"approximate must be \"none\" or \"tanh\", got \"{s}\""),
    };

    private sealed class GeluKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.GeluOp>(x, y);

        // dx += dy (Phi(x) + x phi(x)).
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.GeluGradOp>(x, dy, dx);
    }

    private sealed class GeluTanhKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.GeluTanhOp>(x, y);

        // dx += dy d/dx[x sigmoid(2u)].
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate<Elementwise.GeluTanhGradOp>(x, dy, dx);
    }
}
