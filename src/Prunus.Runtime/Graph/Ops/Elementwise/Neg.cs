using System.Numerics;
using System.Numerics.Tensors;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Neg: y = -x; float32 with gradients, the signed integer types and float64 forward only (shape arithmetic).</summary>
public sealed class NegOp : UnaryFloatOp
{
    public override string OpType => "Neg";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    /// <inheritdoc/>
    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Type is not (DataType.Float32 or DataType.Float64 or DataType.Int64 or DataType.Int32 or DataType.Int8))
            throw ctx.Error($"input 0 must be a signed numeric type (Float32, Float64, Int64, Int32 or Int8), got {x.Type}");
        return [x];
    }

    public override Kernel CreateKernel(NodeContext ctx) => ctx.Input(0).Type == DataType.Float32 ? new NegKernel() : new NegScalarKernel();

    private sealed class NegKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y) => VectorLoops.Unary<Elementwise.NegOp>(x, y);

        // dx -= dy.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx) =>
            TensorPrimitives.Subtract(dx, dy, dx);
    }

    private sealed class NegScalarKernel : ForwardOnlyKernel
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
