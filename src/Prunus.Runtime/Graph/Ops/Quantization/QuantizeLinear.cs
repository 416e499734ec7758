using System.Numerics;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// QuantizeLinear: y = saturate(round(x / y_scale) + y_zero_point), ties to even, per tensor, per axis or in blocks,
/// to uint8 (default), int8, uint16, int16, uint4 or int4. Not differentiable: the output is an integer tensor (QAT
/// uses its own fake-quantization op).
/// </summary>
public sealed class QuantizeLinearOp : Operator
{
    public override string OpType => "QuantizeLinear";
    public override OpsetRange? Opsets => OpsetRange.Since(10);
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Type is not (DataType.Float32 or DataType.Int32)) throw ctx.Error($"x must be float32 or int32, got {x.Type}");
        var scaleType = ctx.Input(1).Type;
        if (scaleType != DataType.Float32 && !(scaleType == DataType.Int32 && x.Type == DataType.Int32))
            throw ctx.Error($"y_scale must be float32{(x.Type == DataType.Int32 ? " or int32" : "")}, got {scaleType}");
        var type = OutputType(ctx);
        QuantizationShapes.Resolve(ctx, x.Shape, 1, 2, "y_scale", "y_zero_point");
        return [new TensorInfo(type, x.Shape)];
    }

    // The zero point's type decides; else output_dtype (opset 21); else uint8.
    private static DataType OutputType(NodeContext ctx)
    {
        long dtype = ctx.Int("output_dtype", 0);
        if (QuantizationShapes.UnsupportedTypeName(dtype) is { } name)
            throw ctx.Error($"output_dtype {dtype} ({name}) is not supported: Prunus quantizes to {QuantizationShapes.QuantizedTypes} only");
        DataType type;
        if (ctx.HasInput(2))
        {
            type = ctx.Input(2).Type;
            if (dtype != 0 && dtype != (long)type)
                throw ctx.Error($"output_dtype {dtype} does not match y_zero_point's type {type} ({(int)type}); remove output_dtype or make the two agree");
        }
        else type = dtype == 0 ? DataType.UInt8 : (DataType)dtype;
        if (!QuantizationShapes.IsQuantizedType(type))
            throw ctx.Error($"cannot quantize to {type}{(ctx.HasInput(2) ? " (the type of y_zero_point)" : "")}; the quantized type must be one of {QuantizationShapes.QuantizedTypes}");
        return type;
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var layout = QuantizationShapes.Resolve(ctx, ctx.Shape(0), 1, 2, "y_scale", "y_zero_point");
        var type = ctx.OutputInfos[0].Type;
        // An int32 scale (allowed with int32 x from opset 19) is read into float scratch, made here.
        var scratch = ctx.Input(1).Type == DataType.Int32 ? new float[ShapeMath.Size(ctx.Shape(1))] : null;
        return new QuantizeKernel(layout, type, scratch);
    }

    private sealed class QuantizeKernel(QuantizationLayout layout, DataType type, float[]? scaleScratch) : ForwardOnlyKernel
    {
        private readonly (int Lo, int Hi) _range = type.IntegerRange();

        public override string Algorithm => "quantize-linear";

        public override void Forward(RunContext ctx)
        {
            switch (type.StorageType())
            {
                case DataType.UInt8: Run<byte>(); break;
                case DataType.Int8: Run<sbyte>(); break;
                case DataType.UInt16: Run<ushort>(); break;
                default: Run<short>(); break;
            }
        }

        private void Run<T>() where T : unmanaged, IBinaryInteger<T>
        {
            ReadOnlySpan<float> scale;
            if (scaleScratch is null) scale = Inputs[1].Floats;
            else
            {
                var s = Inputs[1].Span<int>();
                for (int i = 0; i < s.Length; i++) scaleScratch[i] = s[i];
                scale = scaleScratch;
            }
            var zp = Has(2) ? Inputs[2].Span<T>() : default;
            var y = Outputs[0].Span<T>();
            if (Inputs[0].Type == DataType.Float32) LinearQuantization.Quantize(layout, Inputs[0].Floats, scale, zp, y, _range.Lo, _range.Hi);
            else LinearQuantization.Quantize(layout, Inputs[0].Span<int>(), scale, zp, y, _range.Lo, _range.Hi);
        }
    }
}
