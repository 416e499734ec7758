using System.Numerics;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// ConvInteger: int32 y = conv(x − x_zero_point, w − w_zero_point) for uint8/int8 x and w, with Conv's attributes (pads,
/// strides, dilations, group, auto_pad) over any number of spatial axes; x's zero point per tensor (padding adds
/// nothing), w's per tensor or per output channel. Exact int32 accumulation. Not differentiable (integer tensors).
/// </summary>
public sealed class ConvIntegerOp : Operator
{
    public override string OpType => "ConvInteger";
    public override OpsetRange? Opsets => OpsetRange.Since(10);
    public override bool IsDifferentiable(int index) => false;

    // Inputs: x, w, x_zero_point, w_zero_point.
    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        IntegerOperands.Expect8Bit(ctx, 0, "x");
        IntegerOperands.Expect8Bit(ctx, 1, "w");
        IntegerOperands.ExpectSameType(ctx, 2, 0, "x_zero_point", "x");
        IntegerOperands.ExpectSameType(ctx, 3, 1, "w_zero_point", "w");
        IntegerOperands.ExpectScalar(ctx, 2, "x_zero_point");
        var g = IntegerConvShapes.Resolve(ctx, 0, 1);
        IntegerOperands.ChannelCount(ctx, 3, "w_zero_point", g.K);
        return [new TensorInfo(DataType.Int32, IntegerConvShapes.OutputShape(g))];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var g = IntegerConvShapes.Resolve(ctx, 0, 1);
        return new ConvIntegerKernel(g, IntegerOperands.ChannelCount(ctx, 3, "w_zero_point", g.K), ctx.Input(0).Type, ctx.Input(1).Type);
    }

    private sealed class ConvIntegerKernel(WindowGeometryNd g, int weightZeroPoints, DataType xType, DataType wType) : ForwardOnlyKernel
    {
        private readonly int[] _zw = new int[weightZeroPoints];
        private readonly int[] _scratch = new int[IntegerConvolution.ScratchLength(g)];

        public override string Algorithm => "conv-integer-reference";

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
            int zx = Has(2) ? int.CreateTruncating(Inputs[2].Span<TX>()[0]) : 0;
            if (Has(3)) { var z = Inputs[3].Span<TW>(); for (int i = 0; i < _zw.Length; i++) _zw[i] = int.CreateTruncating(z[i]); }
            else _zw.AsSpan().Clear();
            IntegerConvolution.Forward(g, Inputs[0].Span<TX>(), zx, Inputs[1].Span<TW>(), _zw, Outputs[0].Span<int>(), _scratch);
        }
    }
}
