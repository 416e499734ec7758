using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// PRelu: y = x for x &gt;= 0, slope x otherwise; slope broadcasts to x (e.g. [C,1,1] per channel, or [1]). Before
/// opset 7 a slope of C values is per channel of x [N,C,...] whatever the rank.
/// </summary>
public sealed class PReluOp : Operator
{
    public override string OpType => "PRelu";
    // Per-channel slope before 7, NumPy broadcasting from 7.
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        ctx.ExpectType(0, DataType.Float32);
        ctx.ExpectType(1, DataType.Float32);
        var (x, slope) = OperandShapes(ctx);
        var shape = BroadcastBinaryOp.BroadcastShape(ctx, x, slope);
        if (!ShapeMath.SameShape(shape, x))
            throw ctx.Error($"slope of shape {ShapeMath.Format(slope)} must broadcast to the input's shape {ShapeMath.Format(x)}");
        return [ctx.Input(0)];
    }

    /// <summary>x's shape, and the slope's as it broadcasts: [C] becomes [C,1,...,1] in the opset 6 form.</summary>
    private static (int[] X, int[] Slope) OperandShapes(NodeContext ctx)
    {
        var x = ctx.Shape(0);
        var slope = ctx.Shape(1);
        if (ctx.Opset < 7 && slope.Length == 1 && x.Length >= 2 && slope[0] == x[1] && slope[0] != 1)
        {
            var perChannel = Enumerable.Repeat(1, x.Length - 1).ToArray();
            perChannel[0] = slope[0];
            return (x, perChannel);
        }
        return (x, slope);
    }

    public override Kernel CreateKernel(NodeContext ctx) => new PReluKernel(ctx);

    private sealed class PReluKernel : BroadcastFloatKernel
    {
        private readonly BroadcastLayout _gradInput, _gradSlope;

        public PReluKernel(NodeContext ctx) : base(ctx, OperandShapes(ctx))
        {
            _gradInput = GradLayout(OperandA, OperandA, OperandB);
            _gradSlope = GradLayout(OperandB, OperandA, OperandA);
        }

        protected override void ForwardRange(int start, int count) => Broadcast.Map<Elementwise.PReluOp>(Layout, A, B, Y, start, count);

        // dx += dy where x > 0, slope dy otherwise; dslope += x dy where x < 0, summed over the broadcast dimensions.
        protected override void BackwardRange(int input, int start, int count)
        {
            if (input == 0) Broadcast.Accumulate<Elementwise.PReluGradInputOp>(_gradInput, A, B, DY, Grad(0), start, count);
            else Broadcast.Accumulate<Elementwise.PReluGradSlopeOp>(_gradSlope, A, A, DY, Grad(1), start, count);
        }
    }
}
