using System.Numerics;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// QLinearMatMul: y = saturate(round(((a − a_zp) · (b − b_zp)) · a_scale · b_scale / y_scale) + y_zp), the product
/// accumulated exactly in int32 and requantized in float32 (<see cref="Requantization"/>); a's scale and zero point per
/// tensor or per row, b's per tensor or per column; batched as MatMul. Not differentiable (integer inputs and output).
/// </summary>
public sealed class QLinearMatMulOp : Operator
{
    public override string OpType => "QLinearMatMul";
    public override OpsetRange? Opsets => OpsetRange.Since(10);
    public override bool IsDifferentiable(int index) => false;

    // Inputs: a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point.
    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        IntegerOperands.Expect8Bit(ctx, 0, "a");
        IntegerOperands.Expect8Bit(ctx, 3, "b");
        IntegerOperands.ExpectSameType(ctx, 2, 0, "a_zero_point", "a");
        IntegerOperands.ExpectSameType(ctx, 5, 3, "b_zero_point", "b");
        foreach (var (i, name) in new[] { (1, "a_scale"), (4, "b_scale"), (6, "y_scale") })
            if (ctx.Input(i).Type != DataType.Float32) throw ctx.Error($"{name} must be float32, got {ctx.Input(i).Type}");
        IntegerOperands.ExpectScalarScale(ctx, 6, "y_scale");
        IntegerOperands.ExpectScalar(ctx, 7, "y_zero_point");
        var layout = IntegerMatMulLayout.Of(ctx, 0, 3);
        SameShape(ctx, 1, 2, "a_scale", "a_zero_point");
        SameShape(ctx, 4, 5, "b_scale", "b_zero_point");
        layout.RowParameters(ctx, 1, "a_scale");
        layout.ColumnParameters(ctx, 4, "b_scale");
        return [new TensorInfo(OutputType(ctx), layout.OutShape)];
    }

    private static DataType OutputType(NodeContext ctx)
    {
        if (!ctx.HasInput(7)) return DataType.UInt8;
        return IntegerOperands.Expect8Bit(ctx, 7, "y_zero_point");
    }

    private static void SameShape(NodeContext ctx, int scale, int zeroPoint, string scaleName, string zeroPointName)
    {
        if (!ctx.HasInput(zeroPoint)) return;
        var s = ctx.Shape(scale);
        var z = ctx.Shape(zeroPoint);
        if (!s.AsSpan().SequenceEqual(z) && !(ShapeMath.Size(s) == 1 && ShapeMath.Size(z) == 1))
            throw ctx.Error($"{zeroPointName} {ShapeMath.Format(z)} must have the shape of {scaleName} {ShapeMath.Format(s)}");
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var layout = IntegerMatMulLayout.Of(ctx, 0, 3);
        return new QLinearMatMulKernel(layout, layout.RowParameters(ctx, 1, "a_scale"), layout.ColumnParameters(ctx, 4, "b_scale"),
            ctx.Input(0).Type, ctx.Input(3).Type, ctx.OutputInfos[0].Type);
    }

    private sealed class QLinearMatMulKernel(IntegerMatMulLayout layout, int[]? aMap, int[]? bMap, DataType aType, DataType bType, DataType yType)
        : ForwardOnlyKernel
    {
        private readonly int[] _za = new int[aMap is null ? 1 : layout.M];
        private readonly int[] _zb = new int[bMap is null ? 1 : layout.N];
        private readonly float[] _sa = new float[aMap is null ? 1 : layout.M];
        private readonly float[] _sb = new float[bMap is null ? 1 : layout.N];
        private readonly int[] _acc = new int[layout.M * layout.N];
        private readonly int[] _scratch = new int[IntegerMatMul.ScratchLength(layout.K, layout.N)];

        public override string Algorithm => "qlinear-matmul-reference";

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
            if (yType == DataType.UInt8) Run<TA, TB, byte>(0, 255);
            else Run<TA, TB, sbyte>(-128, 127);
        }

        private void Run<TA, TB, TY>(int lo, int hi) where TA : unmanaged, IBinaryInteger<TA> where TB : unmanaged, IBinaryInteger<TB>
            where TY : unmanaged, IBinaryInteger<TY>
        {
            int m = layout.M, n = layout.N, k = layout.K;
            var a = Inputs[0].Span<TA>();
            var b = Inputs[3].Span<TB>();
            var y = Outputs[0].Span<TY>();
            float sy = Inputs[6].Floats[0];
            int zy = Has(7) ? int.CreateTruncating(Inputs[7].Span<TY>()[0]) : 0;
            for (int t = 0; t < layout.Batch; t++)
            {
                int ia = layout.AMatrix(t), ib = layout.BMatrix(t);
                IntegerOperands.ZeroPoints(Has(2) ? Inputs[2].Span<TA>() : default, aMap, ia, _za);
                IntegerOperands.ZeroPoints(Has(5) ? Inputs[5].Span<TB>() : default, bMap, ib, _zb);
                Scales(Inputs[1].Floats, aMap, ia, _sa);
                Scales(Inputs[4].Floats, bMap, ib, _sb);
                IntegerMatMul.Multiply(m, n, k, a.Slice(layout.AOffsets[t], m * k), _za, b.Slice(layout.BOffsets[t], k * n), _zb, _acc, _scratch);
                var dst = y.Slice(t * m * n, m * n);
                for (int i = 0; i < m; i++)
                {
                    float sa = _sa[_sa.Length == 1 ? 0 : i];
                    for (int j = 0; j < n; j++)
                    {
                        float multiplier = Requantization.Multiplier(sa, _sb[_sb.Length == 1 ? 0 : j], sy);
                        dst[i * n + j] = TY.CreateTruncating(Requantization.One(_acc[i * n + j], multiplier, zy, lo, hi));
                    }
                }
            }
        }

        private static void Scales(ReadOnlySpan<float> scale, int[]? map, int matrix, Span<float> dst)
        {
            if (map is null) { dst[0] = scale[0]; return; }
            var m = map.AsSpan(matrix * dst.Length, dst.Length);
            for (int i = 0; i < dst.Length; i++) dst[i] = scale[m[i]];
        }
    }
}
