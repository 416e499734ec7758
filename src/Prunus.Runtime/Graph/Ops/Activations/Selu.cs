using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Selu: y = gamma x for x &gt; 0, gamma alpha (e^x - 1) otherwise (ONNX defaults alpha 1.67326, gamma 1.0507).</summary>
public sealed class SeluOp : UnaryFloatOp
{
    public override string OpType => "Selu";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override Kernel CreateKernel(NodeContext ctx) =>
        new SeluKernel(ctx.Float("alpha", 1.67326319217681884765625f), ctx.Float("gamma", 1.05070102214813232421875f));

    private sealed class SeluKernel(float alpha, float gamma) : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) =>
            VectorLoops.Unary(new Elementwise.SeluFunc(alpha, gamma), x, y);

        // dx += gamma dy where x > 0, gamma alpha e^x dy otherwise.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate(new Elementwise.SeluGradFunc(alpha, gamma), x, dy, dx);
    }
}
