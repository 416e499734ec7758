using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Add: C = A + B with NumPy broadcasting; float32 with gradients, the other numeric types forward only.</summary>
public sealed class AddOp : BroadcastBinaryOp
{
    public override string OpType => "Add";
    // broadcast/axis attributes before 7, NumPy broadcasting from 7.
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    protected override bool AcceptsOtherNumericTypes => true;

    public override Kernel CreateKernel(NodeContext ctx) => ctx.Input(0).Type == DataType.Float32
        ? new AddKernel(ctx)
        : new BroadcastScalarKernel<ScalarFamilies.Add>(ctx);

    private sealed class AddKernel : BroadcastFloatKernel
    {
        private readonly BroadcastLayout _reduceA, _reduceB;

        public AddKernel(NodeContext ctx) : base(ctx)
        {
            _reduceA = ReduceLayout(OperandA);
            _reduceB = ReduceLayout(OperandB);
        }

        protected override void ForwardRange(int start, int count) => Broadcast.Map<Elementwise.AddOp>(Layout, A, B, Y, start, count);

        // dA += dy and dB += dy, each summed over the dimensions it was broadcast along.
        protected override void BackwardRange(int input, int start, int count) =>
            Broadcast.ReduceAccumulate(input == 0 ? _reduceA : _reduceB, DY, Grad(input), start, count);
    }
}
