using System.Numerics;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// QLinearConv: y = saturate(round((conv(x − x_zp, w − w_zp) + B) · x_scale · w_scale / y_scale) + y_zp) with Conv's
/// attributes; the convolution accumulated exactly in int32 with the int32 bias B (scale x_scale · w_scale, zero
/// point 0), requantized in float32 (<see cref="Requantization"/>); w's scale and zero point per tensor or per output
/// channel. Not differentiable (integer inputs and output).
/// </summary>
public sealed class QLinearConvOp : Operator
{
    public override string OpType => "QLinearConv";
    public override OpsetRange? Opsets => OpsetRange.Since(10);
    public override bool IsDifferentiable(int index) => false;

    // Inputs: x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B.
    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        IntegerOperands.Expect8Bit(ctx, 0, "x");
        IntegerOperands.Expect8Bit(ctx, 3, "w");
        IntegerOperands.ExpectSameType(ctx, 2, 0, "x_zero_point", "x");
        IntegerOperands.ExpectSameType(ctx, 5, 3, "w_zero_point", "w");
        IntegerOperands.ExpectScalarScale(ctx, 1, "x_scale");
        IntegerOperands.ExpectScalarScale(ctx, 6, "y_scale");
        IntegerOperands.ExpectScalar(ctx, 2, "x_zero_point");
        IntegerOperands.ExpectScalar(ctx, 7, "y_zero_point");
        if (ctx.Input(4).Type != DataType.Float32) throw ctx.Error($"w_scale must be float32, got {ctx.Input(4).Type}");
        var g = IntegerConvShapes.Resolve(ctx, 0, 3);
        IntegerOperands.ChannelCount(ctx, 4, "w_scale", g.K);
        IntegerOperands.ChannelCount(ctx, 5, "w_zero_point", g.K);
        if (ctx.HasInput(8))
        {
            var b = ctx.Input(8);
            if (b.Type != DataType.Int32) throw ctx.Error($"B must be int32 (quantized with scale x_scale * w_scale and zero point 0), got {b.Type}");
            if (b.Shape.Length != 1 || b.Shape[0] != g.K) throw ctx.Error($"B must be [{g.K}] (one bias per output channel), got {ShapeMath.Format(b.Shape)}");
        }
        var type = ctx.HasInput(7) ? IntegerOperands.Expect8Bit(ctx, 7, "y_zero_point") : DataType.UInt8;
        return [new TensorInfo(type, IntegerConvShapes.OutputShape(g))];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var g = IntegerConvShapes.Resolve(ctx, 0, 3);
        return new QLinearConvKernel(g, IntegerOperands.ChannelCount(ctx, 4, "w_scale", g.K), IntegerOperands.ChannelCount(ctx, 5, "w_zero_point", g.K),
            ctx.Input(0).Type, ctx.Input(3).Type, ctx.OutputInfos[0].Type);
    }

    private sealed class QLinearConvKernel(WindowGeometryNd g, int weightScales, int weightZeroPoints, DataType xType, DataType wType, DataType yType)
        : ForwardOnlyKernel
    {
        private readonly int[] _zw = new int[weightZeroPoints];
        private readonly int[] _acc = new int[g.N * g.K * g.OutPlane];
        private readonly int[] _scratch = new int[IntegerConvolution.ScratchLength(g)];

        public override string Algorithm => "qlinear-conv-reference";

        public override void Forward(RunContext ctx)
        {
            switch (xType, wType)
            {
                case (DataType.UInt8, DataType.UInt8): Run<byte, byte>(); break;
                case (DataType.UInt8, _): Run<byte, sbyte>(); break;
                case (_, DataType.UInt8): Run<sbyte, byte>(); break;
                default: Run<sbyte, sbyte>(); break;
            }
        }

        private void Run<TX, TW>() where TX : unmanaged, IBinaryInteger<TX> where TW : unmanaged, IBinaryInteger<TW>
        {
            if (yType == DataType.UInt8) Run<TX, TW, byte>(0, 255);
            else Run<TX, TW, sbyte>(-128, 127);
        }

        private void Run<TX, TW, TY>(int lo, int hi) where TX : unmanaged, IBinaryInteger<TX> where TW : unmanaged, IBinaryInteger<TW>
            where TY : unmanaged, IBinaryInteger<TY>
        {
            int zx = Has(2) ? int.CreateTruncating(Inputs[2].Span<TX>()[0]) : 0;
            if (Has(5)) { var z = Inputs[5].Span<TW>(); for (int i = 0; i < _zw.Length; i++) _zw[i] = int.CreateTruncating(z[i]); }
            else _zw.AsSpan().Clear();
            IntegerConvolution.Forward(g, Inputs[0].Span<TX>(), zx, Inputs[3].Span<TW>(), _zw, _acc, _scratch);

            float sx = Inputs[1].Floats[0], sy = Inputs[6].Floats[0];
            var sw = Inputs[4].Floats;
            int zy = Has(7) ? int.CreateTruncating(Inputs[7].Span<TY>()[0]) : 0;
            var bias = Has(8) ? Inputs[8].Span<int>() : default;
            var y = Outputs[0].Span<TY>();
            int plane = g.OutPlane;
            for (int n = 0; n < g.N; n++)
                for (int k = 0; k < g.K; k++)
                {
                    float multiplier = Requantization.Multiplier(sx, sw[weightScales == 1 ? 0 : k], sy);
                    int b = bias.IsEmpty ? 0 : bias[k];
                    int start = (n * g.K + k) * plane;
                    for (int o = 0; o < plane; o++)
                        y[start + o] = TY.CreateTruncating(Requantization.One(unchecked(_acc[start + o] + b), multiplier, zy, lo, hi));
                }
        }
    }
}
