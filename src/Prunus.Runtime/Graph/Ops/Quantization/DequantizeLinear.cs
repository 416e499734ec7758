using System.Numerics;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// DequantizeLinear: y = (x - x_zero_point) · x_scale in float32, per tensor, per axis or in blocks, from int8, uint8,
/// int16, uint16, int4, uint4 or int32. No gradient rule: x and the zero point are integers, and training through QDQ
/// pairs (which would differentiate the float scale) is not supported; QAT uses its own fake-quantization op.
/// </summary>
public sealed class DequantizeLinearOp : Operator
{
    public override string OpType => "DequantizeLinear";
    public override OpsetRange? Opsets => OpsetRange.Since(10);
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (!QuantizationShapes.IsQuantizedType(x.Type) && x.Type != DataType.Int32)
            throw ctx.Error($"x must be one of {QuantizationShapes.QuantizedTypes} or int32, got {x.Type}");
        if (ctx.Input(1).Type != DataType.Float32) throw ctx.Error($"x_scale must be float32, got {ctx.Input(1).Type}");
        if (ctx.HasInput(2) && ctx.Input(2).Type != x.Type)
            throw ctx.Error($"x_zero_point must have x's type {x.Type}, got {ctx.Input(2).Type}");
        long dtype = ctx.Int("output_dtype", 0);
        if (dtype is not (0 or (long)DataType.Float32))
            throw ctx.Error($"output_dtype {dtype}{(QuantizationShapes.UnsupportedTypeName(dtype) is { } n ? $" ({n})" : "")} is not supported: Prunus dequantizes to float32 only");
        QuantizationShapes.Resolve(ctx, x.Shape, 1, 2, "x_scale", "x_zero_point");
        return [new TensorInfo(DataType.Float32, x.Shape)];
    }

    public override Kernel CreateKernel(NodeContext ctx) =>
        new DequantizeKernel(QuantizationShapes.Resolve(ctx, ctx.Shape(0), 1, 2, "x_scale", "x_zero_point"), ctx.Input(0).Type);

    private sealed class DequantizeKernel(QuantizationLayout layout, DataType type) : ForwardOnlyKernel
    {
        public override string Algorithm => "dequantize-linear";

        public override void Forward(RunContext ctx)
        {
            switch (type.StorageType())
            {
                case DataType.UInt8: Run<byte>(); break;
                case DataType.Int8: Run<sbyte>(); break;
                case DataType.UInt16: Run<ushort>(); break;
                case DataType.Int16: Run<short>(); break;
                default: Run<int>(); break;
            }
        }

        private void Run<T>() where T : unmanaged, IBinaryInteger<T> =>
            LinearQuantization.Dequantize(layout, Inputs[0].Span<T>(), Inputs[1].Floats, Has(2) ? Inputs[2].Span<T>() : default, Outputs[0].Floats);
    }
}
