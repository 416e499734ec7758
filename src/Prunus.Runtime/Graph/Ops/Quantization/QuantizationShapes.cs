using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Shape and type rules shared by QuantizeLinear and DequantizeLinear: which granularity the scale's shape (with
/// axis and block_size) asks for, and which quantized element types Prunus holds.
/// </summary>
/// <remarks>
/// Forms that later opsets added (per-axis scales from 13, block_size, output_dtype and the 4- and 16-bit types from
/// 21) are accepted under earlier opsets too: they cannot occur in a valid earlier model, so accepting them changes the
/// meaning of none.
/// </remarks>
internal static class QuantizationShapes
{
    /// <summary>The integer types QuantizeLinear produces and DequantizeLinear reads (besides int32).</summary>
    public static bool IsQuantizedType(DataType t) =>
        t is DataType.UInt8 or DataType.Int8 or DataType.UInt16 or DataType.Int16 or DataType.UInt4 or DataType.Int4;

    /// <summary>"uint8, int8, uint16, int16, uint4, int4", for messages.</summary>
    public const string QuantizedTypes = "uint8, int8, uint16, int16, uint4, int4";

    /// <summary>A readable name of ONNX element types that Prunus cannot hold, or null for others.</summary>
    public static string? UnsupportedTypeName(long onnxType) => onnxType switch
    {
        17 => "float8e4m3fn",
        18 => "float8e4m3fnuz",
        19 => "float8e5m2",
        20 => "float8e5m2fnuz",
        23 => "float4e2m1",
        24 => "float8e8m0",
        10 => "float16",
        16 => "bfloat16",
        _ => null,
    };

    /// <summary>
    /// The layout of scale input <paramref name="scaleInput"/> (and zero point <paramref name="zeroPointInput"/>, when
    /// present) over x of shape <paramref name="x"/>: per-tensor for a single value, per-axis for a 1-D scale along
    /// 'axis', blocked when 'block_size' is set.
    /// </summary>
    public static QuantizationLayout Resolve(NodeContext ctx, int[] x, int scaleInput, int zeroPointInput, string scaleName, string zeroPointName)
    {
        var s = ctx.Shape(scaleInput);
        int scaleCount = ShapeMath.Size(s);
        if (ctx.HasInput(zeroPointInput))
        {
            var z = ctx.Shape(zeroPointInput);
            if (!s.AsSpan().SequenceEqual(z) && !(scaleCount == 1 && ShapeMath.Size(z) == 1))
                throw ctx.Error($"{zeroPointName} {ShapeMath.Format(z)} must have the shape of {scaleName} {ShapeMath.Format(s)}: one zero point per scale");
        }
        long block = ctx.Int("block_size", 0);
        if (block < 0) throw ctx.Error($"block_size must be positive for blocked quantization, or 0 (absent) otherwise; got {block}");
        if (block > 0)
        {
            if (x.Length == 0) throw ctx.Error("blocked quantization (block_size set) needs x of rank 1 or more, got a scalar");
            int axis = Axis(ctx, x.Length);
            var expected = (int[])x.Clone();
            expected[axis] = (int)((x[axis] + block - 1) / block);
            if (!s.AsSpan().SequenceEqual(expected))
                throw ctx.Error($"for block_size {block} along axis {axis} of x {ShapeMath.Format(x)}, {scaleName} must have shape {ShapeMath.Format(expected)} " +
                    $"(x's shape with that axis divided into blocks of {block}, the last one possibly partial), got {ShapeMath.Format(s)}");
            return QuantizationLayout.Blocked(x, axis, (int)Math.Min(block, Math.Max(x[axis], 1)));
        }
        if (scaleCount == 1) return QuantizationLayout.PerTensor(ShapeMath.Size(x));
        if (s.Length != 1)
            throw ctx.Error($"{scaleName} {ShapeMath.Format(s)} must be a scalar (per-tensor), 1-D (per-axis, along 'axis'), " +
                "or of x's rank with block_size set (blocked)");
        if (x.Length == 0) throw ctx.Error($"a 1-D {scaleName} {ShapeMath.Format(s)} quantizes along an axis, but x is a scalar");
        // The spec: a rank-1 x has only one axis to quantize along, whatever 'axis' says.
        int a = x.Length == 1 ? 0 : Axis(ctx, x.Length);
        if (s[0] != x[a])
            throw ctx.Error($"{scaleName} has {s[0]} values but axis {a} of x {ShapeMath.Format(x)} has {x[a]}: per-axis quantization needs one " +
                "scale per index of the axis (set 'axis' to the quantized axis, e.g. 0 for Conv weights' output channels)");
        return QuantizationLayout.PerAxis(x, a);
    }

    private static int Axis(NodeContext ctx, int rank)
    {
        long axis = ctx.Int("axis", 1);
        if (axis < -rank || axis >= rank) throw ctx.Error($"axis {axis} is outside [{-rank}, {rank - 1}] for x of rank {rank}");
        return (int)(axis < 0 ? axis + rank : axis);
    }
}
