using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// What QLinearFusedConv and QLinearFusedGemm share: their inputs, laid out as QLinearConv's (x, x_scale,
/// x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B), and how those become the integer kernels' output
/// stage. The output is decided by which inputs are present: no x_scale, int32 sums (MatMulInteger, ConvInteger); no
/// y_scale, floats (x_s w_s (x_q - z_x)(w_q - z_w) + b, then the activation); else the quantized type of
/// y_zero_point (uint8 when absent), or floats on its grid when the <c>dequantize</c> attribute is 1 (a Q followed by
/// a DQ). B is int32 at scale x_s w_s (the QDQ convention) or float (rounded to that scale at plan time). Relu and
/// Clip activations are applied as a clamp in the output's domain.
/// </summary>
internal static class QLinearFused
{
    /// <summary>Attribute asking for a float output on y's quantization grid (Q then DQ in one step).</summary>
    public const string DequantizeAttribute = "dequantize";

    /// <summary>Attribute saying x is float, to be quantized with x_scale and x_zero_point (a QuantizeLinear fused in).</summary>
    public const string QuantizeInputAttribute = "quantize_input";

    /// <summary>Whether the node quantizes its float input itself.</summary>
    public static bool QuantizesInput(NodeContext ctx) => ctx.Int(QuantizeInputAttribute, 0) != 0;

    /// <summary>The 8-bit type x has (or is quantized to).</summary>
    private static DataType InputType(NodeContext ctx) => QuantizesInput(ctx)
        ? (ctx.HasInput(XZero) ? ctx.Input(XZero).Type : DataType.UInt8)
        : ctx.Input(X).Type;

    public const int X = 0, XScale = 1, XZero = 2, W = 3, WScale = 4, WZero = 5, YScale = 6, YZero = 7, Bias = 8;

    /// <summary>Checks types and parameter shapes (channels = output channels); returns the output type.</summary>
    public static DataType Check(NodeContext ctx, int channels)
    {
        PrunusDomain.RejectTraining(ctx);
        var xType = InputType(ctx);
        var wType = ctx.Input(W).Type;
        if (QuantizesInput(ctx))
        {
            if (ctx.Input(X).Type != DataType.Float32) throw ctx.Error($"with quantize_input x must be float32, got {ctx.Input(X).Type}");
            if (!ctx.HasInput(XScale)) throw ctx.Error("quantize_input needs x_scale");
        }
        if (xType is not (DataType.UInt8 or DataType.Int8)) throw ctx.Error($"x must be uint8 or int8, got {xType}");
        if (wType is not (DataType.UInt8 or DataType.Int8)) throw ctx.Error($"w must be uint8 or int8, got {wType}");
        bool integer = !ctx.HasInput(XScale);
        if (ctx.HasInput(XZero)) Scalar(ctx, XZero, xType, "x_zero_point");
        if (ctx.HasInput(WZero)) PerChannel(ctx, WZero, wType, channels, "w_zero_point");
        var activation = PrunusDomain.ReadActivation(ctx);
        if (activation.Kind is not (ActivationKind.None or ActivationKind.Relu or ActivationKind.Clip))
            throw ctx.Error($"activation {activation} cannot be fused into an integer product; only Relu and Clip can");
        if (integer)
        {
            if (ctx.HasInput(WScale) || ctx.HasInput(YScale)) throw ctx.Error("without x_scale (integer output) there must be no w_scale or y_scale");
            if (!activation.IsNone) throw ctx.Error("an integer (int32) output takes no activation");
            if (ctx.HasInput(Bias)) BiasShape(ctx, channels, DataType.Int32);
            return DataType.Int32;
        }
        Scalar(ctx, XScale, DataType.Float32, "x_scale");
        PerChannel(ctx, WScale, DataType.Float32, channels, "w_scale");
        if (ctx.HasInput(Bias)) BiasShape(ctx, channels, null);
        if (!ctx.HasInput(YScale))
        {
            if (ctx.HasInput(YZero)) throw ctx.Error("y_zero_point needs y_scale");
            return DataType.Float32;
        }
        Scalar(ctx, YScale, DataType.Float32, "y_scale");
        var yType = DataType.UInt8;
        if (ctx.HasInput(YZero))
        {
            yType = ctx.Input(YZero).Type;
            if (yType is not (DataType.UInt8 or DataType.Int8)) throw ctx.Error($"y_zero_point must be uint8 or int8, got {yType}");
            Scalar(ctx, YZero, yType, "y_zero_point");
        }
        return ctx.Int(DequantizeAttribute, 0) != 0 ? DataType.Float32 : yType;
    }

    private static void Scalar(NodeContext ctx, int i, DataType type, string name)
    {
        var info = ctx.Input(i);
        if (info.Type != type) throw ctx.Error($"{name} must be {type}, got {info.Type}");
        if (info.Length != 1) throw ctx.Error($"{name} must hold one value (per-tensor), got shape {ShapeMath.Format(info.Shape)}");
    }

    private static void PerChannel(NodeContext ctx, int i, DataType type, int channels, string name)
    {
        var info = ctx.Input(i);
        if (info.Type != type) throw ctx.Error($"{name} must be {type}, got {info.Type}");
        if (info.Length != 1 && !(info.Rank == 1 && info.Shape[0] == channels))
            throw ctx.Error($"{name} must be a scalar or 1-D with one value per output channel ({channels}), got shape {ShapeMath.Format(info.Shape)}");
    }

    private static void BiasShape(NodeContext ctx, int channels, DataType? type)
    {
        var info = ctx.Input(Bias);
        if (type is { } t && info.Type != t) throw ctx.Error($"B must be {t}, got {info.Type}");
        if (info.Type is not (DataType.Int32 or DataType.Float32)) throw ctx.Error($"B must be int32 or float32, got {info.Type}");
        if (info.Length != channels) throw ctx.Error($"B must hold one value per output channel ({channels}), got shape {ShapeMath.Format(info.Shape)}");
    }

    /// <summary>The constant input <paramref name="i"/>, or an error naming what the fused op needs at plan time.</summary>
    private static Tensor Constant(NodeContext ctx, int i, string name) => ctx.Constant(i)
        ?? throw ctx.Error($"{name} must be a constant at plan time (an initializer): the integer kernels pack weights and fold scales once");

    /// <summary>What the kernels need, read from the constant inputs.</summary>
    public sealed record Setup(byte[] Weights, bool WeightsSigned, int[] WeightZero, bool InputSigned, int InputZero, bool InputZeroAtRunTime,
        QuantizedOutput Output);

    /// <summary>Reads the weights, zero points and scales; the output stage for <paramref name="channels"/> output channels.</summary>
    public static Setup Read(NodeContext ctx, int channels)
    {
        var w = Constant(ctx, W, "w");
        bool wSigned = w.Type == DataType.Int8;
        var weights = w.Bytes().ToArray();
        var wz = ctx.HasInput(WZero) ? Ints(Constant(ctx, WZero, "w_zero_point")) : [0];
        bool xSigned = InputType(ctx) == DataType.Int8;
        int xz = 0;
        bool runtimeZero = false;
        if (ctx.HasInput(XZero))
        {
            if (ctx.Constant(XZero) is { } z) xz = (int)z.GetAsDouble(0);
            else runtimeZero = true;
        }
        var activation = PrunusDomain.ReadActivation(ctx);
        QuantizedOutput output;
        if (!ctx.HasInput(XScale))
        {
            var bias = ctx.HasInput(Bias) ? Ints(Constant(ctx, Bias, "B")) : [];
            output = QuantizedOutput.Integer(channels, bias);
            return new Setup(weights, wSigned, wz, xSigned, xz, runtimeZero, output);
        }
        float sx = Constant(ctx, XScale, "x_scale").Floats[0];
        var swt = Constant(ctx, WScale, "w_scale").Floats;
        // Scales multiplied in float32 in QLinearConv's order (x_scale · w_scale, then / y_scale), as the reference
        // ops and ONNX Runtime do, so that routed QLinear ops give their bytes exactly.
        var sw = new float[channels];
        for (int o = 0; o < channels; o++) sw[o] = sx * swt[swt.Length == 1 ? 0 : o];
        var intBias = new int[channels];
        if (ctx.HasInput(Bias))
        {
            var b = Constant(ctx, Bias, "B");
            for (int o = 0; o < channels; o++)
                intBias[o] = b.Type == DataType.Int32 ? b.Span<int>()[o] : Saturate(Math.Round(b.Floats[o] / (double)sw[o]));
        }
        if (!ctx.HasInput(YScale))
        {
            float lo = activation.Kind switch { ActivationKind.Relu => 0, ActivationKind.Clip => activation.Alpha, _ => float.NegativeInfinity };
            float hi = activation.Kind == ActivationKind.Clip ? activation.Beta : float.PositiveInfinity;
            output = QuantizedOutput.Float(channels, sw, intBias, lo, hi);
            return new Setup(weights, wSigned, wz, xSigned, xz, runtimeZero, output);
        }
        float sy = Constant(ctx, YScale, "y_scale").Floats[0];
        var yType = ctx.HasInput(YZero) ? ctx.Input(YZero).Type : DataType.UInt8;
        int zy = ctx.HasInput(YZero) ? (int)Constant(ctx, YZero, "y_zero_point").GetAsDouble(0) : 0;
        var multiplier = sw.Select(v => v / sy).ToArray();
        int? min = null, max = null;
        if (activation.Kind == ActivationKind.Relu) min = zy;
        else if (activation.Kind == ActivationKind.Clip)
        {
            // Q is monotone, so Q(clip(y, a, b)) = clamp(Q(y), Q(a), Q(b)).
            min = Saturate(Math.Round((double)(activation.Alpha / sy)) + zy);
            max = Saturate(Math.Round((double)(activation.Beta / sy)) + zy);
        }
        output = ctx.Int(DequantizeAttribute, 0) != 0
            ? QuantizedOutput.Dequantized(yType, channels, multiplier, intBias, zy, sy, min, max)
            : QuantizedOutput.Quantized(yType, channels, multiplier, intBias, zy, min, max);
        return new Setup(weights, wSigned, wz, xSigned, xz, runtimeZero, output);
    }

    private static int Saturate(double v) => double.IsNaN(v) ? 0 : (int)Math.Clamp(v, int.MinValue / 2, int.MaxValue / 2);

    private static int[] Ints(Tensor t)
    {
        var r = new int[t.Length];
        for (int i = 0; i < r.Length; i++) r[i] = (int)t.GetAsDouble(i);
        return r;
    }

    /// <summary>The run-time activation zero point (input 2), when it was not a constant at plan time.</summary>
    public static int RuntimeZero(Kernel k) => (int)k.Inputs[XZero].GetAsDouble(0);

    /// <summary>
    /// The input quantization of a node with quantize_input, and a buffer for x's bytes (of <paramref name="length"/>);
    /// null when x is already quantized.
    /// </summary>
    public static (QuantizeBytes Quantizer, byte[] Buffer)? InputQuantizer(NodeContext ctx, Setup s, int length)
    {
        if (!QuantizesInput(ctx)) return null;
        if (s.InputZeroAtRunTime) throw ctx.Error("quantize_input needs a constant x_zero_point");
        float scale = Constant(ctx, XScale, "x_scale").Floats[0];
        return (new QuantizeBytes(scale, s.InputZero, s.InputSigned), GC.AllocateArray<byte>(Math.Max(1, length), pinned: true));
    }

    /// <summary>x's bytes: the input itself, or the input quantized into the kernel's buffer.</summary>
    public static ReadOnlySpan<byte> InputBytes(Kernel k, (QuantizeBytes Quantizer, byte[] Buffer)? quantize, RunContext ctx)
    {
        if (quantize is not { } q) return k.Inputs[X].Bytes();
        var x = k.Inputs[X].Floats;
        q.Quantizer.Run(x, q.Buffer, ctx.Pool);
        return q.Buffer.AsSpan(0, x.Length);
    }
}
