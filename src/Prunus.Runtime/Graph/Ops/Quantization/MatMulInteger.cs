using System.Numerics;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// MatMulInteger: int32 Y = (A − a_zero_point) · (B − b_zero_point) for uint8/int8 A and B, batched with broadcast
/// batch dims as MatMul; zero points per tensor, per row of A or per column of B. Exact int32 accumulation. Not
/// differentiable (integer inputs and output).
/// </summary>
public sealed class MatMulIntegerOp : Operator
{
    public override string OpType => "MatMulInteger";
    public override OpsetRange? Opsets => OpsetRange.Since(10);
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        IntegerOperands.Expect8Bit(ctx, 0, "A");
        IntegerOperands.Expect8Bit(ctx, 1, "B");
        IntegerOperands.ExpectSameType(ctx, 2, 0, "a_zero_point", "A");
        IntegerOperands.ExpectSameType(ctx, 3, 1, "b_zero_point", "B");
        var layout = IntegerMatMulLayout.Of(ctx, 0, 1);
        layout.RowParameters(ctx, 2, "a_zero_point");
        layout.ColumnParameters(ctx, 3, "b_zero_point");
        return [new TensorInfo(DataType.Int32, layout.OutShape)];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var layout = IntegerMatMulLayout.Of(ctx, 0, 1);
        return new MatMulIntegerKernel(layout, layout.RowParameters(ctx, 2, "a_zero_point"), layout.ColumnParameters(ctx, 3, "b_zero_point"),
            ctx.Input(0).Type, ctx.Input(1).Type);
    }

    private sealed class MatMulIntegerKernel(IntegerMatMulLayout layout, int[]? aMap, int[]? bMap, DataType aType, DataType bType) : ForwardOnlyKernel
    {
        private readonly int[] _za = new int[aMap is null ? 1 : layout.M];
        private readonly int[] _zb = new int[bMap is null ? 1 : layout.N];
        private readonly int[] _scratch = new int[IntegerMatMul.ScratchLength(layout.K, layout.N)];

        public override string Algorithm => "matmul-integer-reference";

        public override void Forward(RunContext ctx)
        {
            switch (aType, bType)
            {
                case (DataType.UInt8, DataType.UInt8): Run<byte, byte>(); break;
                case (DataType.UInt8, _): Run<byte, sbyte>(); break;
                case (_, DataType.UInt8): Run<sbyte, byte>(); break;
                default: Run<sbyte, sbyte>(); break;
            }
        }

        private void Run<TA, TB>() where TA : unmanaged, IBinaryInteger<TA> where TB : unmanaged, IBinaryInteger<TB>
        {
            int m = layout.M, n = layout.N, k = layout.K;
            var a = Inputs[0].Span<TA>();
            var b = Inputs[1].Span<TB>();
            var y = Outputs[0].Span<int>();
            for (int t = 0; t < layout.Batch; t++)
            {
                IntegerOperands.ZeroPoints(Has(2) ? Inputs[2].Span<TA>() : default, aMap, layout.AMatrix(t), _za);
                IntegerOperands.ZeroPoints(Has(3) ? Inputs[3].Span<TB>() : default, bMap, layout.BMatrix(t), _zb);
                IntegerMatMul.Multiply(m, n, k, a.Slice(layout.AOffsets[t], m * k), _za, b.Slice(layout.BOffsets[t], k * n), _zb,
                    y.Slice(t * m * n, m * n), _scratch);
            }
        }
    }
}
