using System.Numerics;
using System.Numerics.Tensors;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Neg: y = -x (float with gradient; int64, int32, int8 and float64 forward only, as shape arithmetic needs).</summary>
public sealed class NegOp : UnaryFloatOp
{
    public override string OpType => "Neg";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var t = ctx.Input(0).Type;
        if (t is not (DataType.Float32 or DataType.Int64 or DataType.Int32 or DataType.Int8 or DataType.Float64))
            throw ctx.Error($"input 0 must be float32, float64, int64, int32 or int8, got {t}");
        return [ctx.Input(0)];
    }

    public override Kernel CreateKernel(NodeContext ctx) => ctx.Input(0).Type == DataType.Float32 ? new NegKernel() : new NegOtherKernel();

    private sealed class NegKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.NegOp>(x, y);

        // dx -= dy.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            TensorPrimitives.Subtract(dx, dy, dx);
    }

    /// <summary>Negation of the non-float32 types (integer wrap-around as in two's complement).</summary>
    private sealed class NegOtherKernel : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx)
        {
            switch (Inputs[0].Type)
            {
                case DataType.Int64: Negate<long>(); break;
                case DataType.Int32: Negate<int>(); break;
                case DataType.Int8: Negate<sbyte>(); break;
                default: Negate<double>(); break;
            }
        }

        private void Negate<T>() where T : unmanaged, INumber<T>
        {
            var x = Inputs[0].Span<T>();
            var y = Outputs[0].Span<T>();
            for (int i = 0; i < x.Length; i++) y[i] = -x[i];
        }
    }
}
