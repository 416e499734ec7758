using System.Numerics;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Type checks and zero-point reading shared by the integer ops (MatMulInteger, ConvInteger, QLinearMatMul, QLinearConv).</summary>
internal static class IntegerOperands
{
    /// <summary>Throws unless input <paramref name="i"/> is uint8 or int8.</summary>
    public static DataType Expect8Bit(NodeContext ctx, int i, string name)
    {
        var t = ctx.Input(i).Type;
        if (t is not (DataType.UInt8 or DataType.Int8)) throw ctx.Error($"{name} must be uint8 or int8, got {t}");
        return t;
    }

    /// <summary>Throws when the optional input <paramref name="i"/> is present with a type other than input <paramref name="of"/>'s.</summary>
    public static void ExpectSameType(NodeContext ctx, int i, int of, string name, string ofName)
    {
        if (ctx.HasInput(i) && ctx.Input(i).Type != ctx.Input(of).Type)
            throw ctx.Error($"{name} must have the type of {ofName} ({ctx.Input(of).Type}), got {ctx.Input(i).Type}");
    }

    /// <summary>Throws unless input <paramref name="i"/> is float32 holding one value.</summary>
    public static void ExpectScalarScale(NodeContext ctx, int i, string name)
    {
        var s = ctx.Input(i);
        if (s.Type != DataType.Float32) throw ctx.Error($"{name} must be float32, got {s.Type}");
        if (s.Length != 1) throw ctx.Error($"{name} must be a single value (per-tensor), got shape {ShapeMath.Format(s.Shape)}");
    }

    /// <summary>Throws unless the optional input <paramref name="i"/> is absent or holds one value.</summary>
    public static void ExpectScalar(NodeContext ctx, int i, string name)
    {
        if (ctx.HasInput(i) && ctx.Input(i).Length != 1)
            throw ctx.Error($"{name} must be a single value (per-tensor), got shape {ShapeMath.Format(ctx.Shape(i))}");
    }

    /// <summary>
    /// The zero points of one matrix into <paramref name="dst"/> (1 entry when <paramref name="map"/> is null, else one per
    /// row or column, read through the map at <paramref name="matrix"/>); zero when the input is absent.
    /// </summary>
    public static void ZeroPoints<T>(ReadOnlySpan<T> zp, int[]? map, int matrix, Span<int> dst) where T : unmanaged, IBinaryInteger<T>
    {
        if (zp.IsEmpty) { dst.Clear(); return; }
        if (map is null) { dst[0] = int.CreateTruncating(zp[0]); return; }
        var m = map.AsSpan(matrix * dst.Length, dst.Length);
        for (int i = 0; i < dst.Length; i++) dst[i] = int.CreateTruncating(zp[m[i]]);
    }

    /// <summary>Per-channel values (1 or <paramref name="count"/> entries) of an optional 1-value-or-[count] input, checked.</summary>
    public static int ChannelCount(NodeContext ctx, int i, string name, int count)
    {
        if (!ctx.HasInput(i)) return 1;
        var s = ctx.Shape(i);
        if (ShapeMath.Size(s) == 1) return 1;
        if (s.Length != 1 || s[0] != count)
            throw ctx.Error($"{name} {ShapeMath.Format(s)} must be a single value (per-tensor) or [{count}] (one per output channel)");
        return count;
    }
}
