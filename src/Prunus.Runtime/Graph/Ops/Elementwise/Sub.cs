using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Sub: C = A - B with NumPy broadcasting; float32 with gradients, the other numeric types forward only.</summary>
public sealed class SubOp : BroadcastBinaryOp
{
    public override string OpType => "Sub";
    // broadcast/axis attributes before 7, NumPy broadcasting from 7.
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    protected override bool AcceptsOtherNumericTypes => true;

    public override Kernel CreateKernel(NodeContext ctx) => ctx.Input(0).Type == DataType.Float32
        ? new SubKernel(ctx)
        : new BroadcastScalarKernel<ScalarFamilies.Sub>(ctx);

    private sealed class SubKernel : BroadcastFloatKernel
    {
        private readonly BroadcastLayout _reduceA, _reduceB;

        public SubKernel(NodeContext ctx) : base(ctx)
        {
            _reduceA = ReduceLayout(OperandA);
            _reduceB = ReduceLayout(OperandB);
        }

        protected override void ForwardRange(int start, int count) => Broadcast.Map<Elementwise.SubOp>(Layout, A, B, Y, start, count);

        // dA += dy, dB -= dy, each summed over its broadcast dimensions.
        protected override void BackwardRange(int input, int start, int count) =>
            Broadcast.ReduceAccumulate(input == 0 ? _reduceA : _reduceB, DY, Grad(input), start, count, subtract: input == 1);
    }
}
