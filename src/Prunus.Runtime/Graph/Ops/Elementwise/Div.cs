using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Div: C = A / B with NumPy broadcasting; float32 with gradients, the other numeric types (integers truncating) forward only.</summary>
public sealed class DivOp : BroadcastBinaryOp
{
    public override string OpType => "Div";
    // broadcast/axis attributes before 7, NumPy broadcasting from 7.
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    protected override bool AcceptsOtherNumericTypes => true;

    public override Kernel CreateKernel(NodeContext ctx) => ctx.Input(0).Type == DataType.Float32
        ? new DivKernel(ctx)
        : new BroadcastScalarKernel<ScalarFamilies.Div>(ctx);

    private sealed class DivKernel : BroadcastFloatKernel
    {
        private readonly BroadcastLayout _gradA, _gradB;

        public DivKernel(NodeContext ctx) : base(ctx)
        {
            _gradA = GradLayout(OperandA, OperandB, OperandB);
            _gradB = GradLayout(OperandB, OperandA, OperandB);
        }

        protected override void ForwardRange(int start, int count) => Broadcast.Map<Elementwise.DivOp>(Layout, A, B, Y, start, count);

        // dA += dy / B, dB += -dy A / B^2, each summed over its broadcast dimensions.
        protected override void BackwardRange(int input, int start, int count)
        {
            if (input == 0) Broadcast.Accumulate<Elementwise.DivGradNumeratorOp>(_gradA, B, B, DY, Grad(0), start, count);
            else Broadcast.Accumulate<Elementwise.DivGradDenominatorOp>(_gradB, A, B, DY, Grad(1), start, count);
        }
    }
}
