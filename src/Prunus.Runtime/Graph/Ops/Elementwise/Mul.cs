using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Mul: C = A * B with NumPy broadcasting; float32 with gradients, the other numeric types forward only.</summary>
public sealed class MulOp : BroadcastBinaryOp
{
    public override string OpType => "Mul";
    // broadcast/axis attributes before 7, NumPy broadcasting from 7.
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    protected override bool AcceptsOtherNumericTypes => true;

    public override Kernel CreateKernel(NodeContext ctx) => ctx.Input(0).Type == DataType.Float32
        ? new MulKernel(ctx)
        : new BroadcastScalarKernel<ScalarFamilies.Mul>(ctx);

    private sealed class MulKernel : BroadcastFloatKernel
    {
        private readonly BroadcastLayout _gradA, _gradB;

        public MulKernel(NodeContext ctx) : base(ctx)
        {
            // Each gradient reads only the other input (passed twice, so no third stream is loaded).
            _gradA = GradLayout(OperandA, OperandB, OperandB);
            _gradB = GradLayout(OperandB, OperandA, OperandA);
        }

        protected override void ForwardRange(int start, int count) => Broadcast.Map<Elementwise.MulOp>(Layout, A, B, Y, start, count);

        // dA += dy * B, dB += dy * A, each summed over its broadcast dimensions.
        protected override void BackwardRange(int input, int start, int count)
        {
            if (input == 0) Broadcast.Accumulate<Elementwise.MulGradOp>(_gradA, B, B, DY, Grad(0), start, count);
            else Broadcast.Accumulate<Elementwise.MulGradOp>(_gradB, A, A, DY, Grad(1), start, count);
        }
    }
}
