using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Clip: y = min(max(x, min), max). Bounds are attributes before opset 11 and optional one-element inputs from 11 on;
/// absent bounds are the type's lowest and largest values. Relu6 is exported as Clip(0, 6). Float32 has a gradient;
/// the other numeric types (opset 12) run forward only.
/// </summary>
public sealed class ClipOp : Operator
{
    public override string OpType => "Clip";
    // min/max attributes (before 11) and inputs (11+), integer types (12).
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    // The bounds are settings, not weights.
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var type = ctx.Input(0).Type;
        if (!BroadcastBinaryOp.IsNumeric(type)) throw ctx.Error($"input type {type} is not supported (use a numeric type)");
        for (int i = 1; i <= 2; i++)
        {
            if (!ctx.HasInput(i)) continue;
            ctx.ExpectType(i, type);
            if (ctx.Input(i).Length != 1)
                throw ctx.Error($"{(i == 1 ? "min" : "max")} must be a scalar, got shape {ShapeMath.Format(ctx.Shape(i))}");
        }
        return [ctx.Input(0)];
    }

    public override Kernel CreateKernel(NodeContext ctx) => ctx.Input(0).Type == DataType.Float32
        ? new ClipKernel(ctx.Float("min", float.MinValue), ctx.Float("max", float.MaxValue))
        : new ClipScalarKernel(ctx.HasAttribute("min") ? ctx.Float("min", 0) : null, ctx.HasAttribute("max") ? ctx.Float("max", 0) : null);

    /// <summary>y = min(max(x, min), max) for the numeric types other than float32, with scalar loops.</summary>
    private sealed class ClipScalarKernel(float? minAttribute, float? maxAttribute) : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx)
        {
            switch (Outputs[0].Type)
            {
                case DataType.Float64: Run<double>(); break;
                case DataType.Int64: Run<long>(); break;
                case DataType.Int32: Run<int>(); break;
                case DataType.Int8: Run<sbyte>(); break;
                case DataType.UInt8: Run<byte>(); break;
                case DataType.Int16: Run<short>(); break;
                case DataType.UInt16: Run<ushort>(); break;
                default: throw new NotSupportedException($"element type {Outputs[0].Type}");
            }
        }

        private void Run<T>() where T : unmanaged, System.Numerics.INumber<T>, System.Numerics.IMinMaxValue<T>
        {
            T lo = Has(1) ? Inputs[1].Span<T>()[0] : minAttribute is { } a ? T.CreateSaturating(a) : T.MinValue;
            T hi = Has(2) ? Inputs[2].Span<T>()[0] : maxAttribute is { } b ? T.CreateSaturating(b) : T.MaxValue;
            var x = Inputs[0].Span<T>();
            var y = Outputs[0].Span<T>();
            for (int i = 0; i < x.Length; i++) y[i] = T.Min(T.Max(x[i], lo), hi);
        }
    }

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
