using System.Numerics;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Sign: y = 1 where x &gt; 0, -1 where x &lt; 0, 0 elsewhere (NaN included); any numeric type. No gradient flows.</summary>
public sealed class SignOp : Operator
{
    public override string OpType => "Sign";

    // Piecewise constant: zero gradient almost everywhere.
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Type == DataType.Bool) throw ctx.Error("input must be numeric, got Bool");
        return [x];
    }

    public override Kernel CreateKernel(NodeContext ctx) => new SignKernel();

    private sealed class SignKernel : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx)
        {
            switch (Outputs[0].Type)
            {
                case DataType.Float32: VectorLoops.Unary<Elementwise.SignOp>(Inputs[0].Floats, Outputs[0].Floats); break;
                case DataType.Float64: Apply<double>(); break;
                case DataType.Int64: Apply<long>(); break;
                case DataType.Int32: Apply<int>(); break;
                case DataType.Int8 or DataType.Int4: Apply<sbyte>(); break;
                case DataType.Int16: Apply<short>(); break;
                case DataType.UInt16: Apply<ushort>(); break;
                default: Apply<byte>(); break;
            }
        }

        private void Apply<T>() where T : unmanaged, INumber<T>
        {
            var x = Inputs[0].Span<T>();
            var y = Outputs[0].Span<T>();
            for (int i = 0; i < y.Length; i++) y[i] = x[i] > T.Zero ? T.One : x[i] < T.Zero ? -T.One : T.Zero;
        }
    }
}
