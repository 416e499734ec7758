using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// DynamicQuantizeLinear: uint8 y with y_scale = (max(x, 0) - min(x, 0)) / 255 and y_zero_point = saturate(round(-min / y_scale)),
/// then y = saturate(round(x / y_scale) + y_zero_point). Not differentiable (integer output).
/// </summary>
public sealed class DynamicQuantizeLinearOp : Operator
{
    public override string OpType => "DynamicQuantizeLinear";
    public override OpsetRange? Opsets => OpsetRange.Since(11);
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Type != DataType.Float32) throw ctx.Error($"x must be float32, got {x.Type}");
        return [new TensorInfo(DataType.UInt8, x.Shape), new TensorInfo(DataType.Float32, []), new TensorInfo(DataType.UInt8, [])];
    }

    public override Kernel CreateKernel(NodeContext ctx) => new DynamicQuantizeKernel(ctx.Input(0).Length);

    private sealed class DynamicQuantizeKernel(int length) : ForwardOnlyKernel
    {
        private readonly QuantizationLayout _layout = QuantizationLayout.PerTensor(length);
        private readonly float[] _scale = new float[1];
        private readonly byte[] _zeroPoint = new byte[1];

        public override string Algorithm => "dynamic-quantize-linear";

        public override void Forward(RunContext ctx)
        {
            var x = Inputs[0].Floats;
            (_scale[0], _zeroPoint[0]) = LinearQuantization.DynamicUInt8Parameters(x);
            // Outputs 1 and 2 may be unnamed (unbound) when only y is used.
            if (Outputs.Length > 1 && Outputs[1] is { } s) s.Floats[0] = _scale[0];
            if (Outputs.Length > 2 && Outputs[2] is { } z) z.Span<byte>()[0] = _zeroPoint[0];
            LinearQuantization.Quantize<byte>(_layout, x, _scale, _zeroPoint, Outputs[0].Span<byte>(), 0, 255);
        }
    }
}
