using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Clip: y = min(max(x, min), max). Bounds are attributes before opset 11 and optional one-element inputs from 11 on;
/// absent bounds are float's lowest and largest values. Relu6 is exported as Clip(0, 6).
/// </summary>
public sealed class ClipOp : Operator
{
    public override string OpType => "Clip";

    // The bounds are settings, not weights.
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        ctx.ExpectType(0, DataType.Float32);
        for (int i = 1; i <= 2; i++)
        {
            if (!ctx.HasInput(i)) continue;
            ctx.ExpectType(i, DataType.Float32);
            if (ctx.Input(i).Length != 1)
                throw ctx.Error($"{(i == 1 ? "min" : "max")} must be a scalar, got shape {ShapeMath.Format(ctx.Shape(i))}");
        }
        return [ctx.Input(0)];
    }

    public override Kernel CreateKernel(NodeContext ctx) =>
        new ClipKernel(ctx.Float("min", float.MinValue), ctx.Float("max", float.MaxValue));

    private sealed class ClipKernel(float minAttribute, float maxAttribute) : UnaryFloatKernel
    {
        private float _min, _max;

        // Bound inputs may be computed at run time, so they are read on every pass.
        protected override void Prepare()
        {
            _min = Has(1) ? Inputs[1].Floats[0] : minAttribute;
            _max = Has(2) ? Inputs[2].Floats[0] : maxAttribute;
        }

        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) =>
            VectorLoops.Unary(new Elementwise.ClipFunc(_min, _max), x, y);

        // dx += dy where min <= x <= max.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            VectorLoops.BinaryAccumulate(new Elementwise.ClipGradFunc(_min, _max), x, dy, dx);
    }
}
