using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Prunus.Tensors;

namespace Prunus.Kernels;

/// <summary>What an integer product writes.</summary>
public enum QuantizedOutputKind
{
    /// <summary>uint8 values: round(v) + zero point.</summary>
    UInt8,
    /// <summary>int8 values: round(v) + zero point.</summary>
    Int8,
    /// <summary>float values v (a dequantized result with no output quantization).</summary>
    Float32,
    /// <summary>float values round(v) * scale: the output quantized and dequantized again (Q then DQ) in one step.</summary>
    Float32Dequantized,
    /// <summary>int32 values t = acc + bias, nothing else (MatMulInteger, ConvInteger).</summary>
    Int32,
}

/// <summary>
/// The fused output stage of an integer product, per output channel o: t = acc + Bias[o] (int32, wrapping as int32
/// arithmetic does); v = float(t) * Multiplier[o]; v clamped to [Lo, Hi]; then by <see cref="Kind"/>: round half to
/// even and add the zero point (uint8/int8: Lo and Hi lie within the type's range minus the zero point, so the clamp
/// is the saturation and also a fused Relu or Clip), or v itself, or round(v) * <see cref="DequantScale"/>; or, for
/// <see cref="QuantizedOutputKind.Int32"/>, t itself. A quantized
/// op y_q = Q(act(x_s w_s (x_q - z_x)(w_q - z_w) + b)) has Multiplier = s_x s_w / s_y and Bias = b / (s_x s_w).
/// Values are pinned for the object's life so that kernels can hold raw pointers.
/// </summary>
public sealed unsafe class QuantizedOutput
{
    private readonly int[] _bias;
    private readonly float[] _multiplier;

    /// <summary>What is written.</summary>
    public QuantizedOutputKind Kind { get; }
    /// <summary>Output channels (the length of the per-channel arrays).</summary>
    public int Channels { get; }
    /// <summary>Added to the rounded value for uint8/int8 outputs.</summary>
    public int ZeroPoint { get; }
    /// <summary>Lower clamp of v.</summary>
    public float Lo { get; }
    /// <summary>Upper clamp of v.</summary>
    public float Hi { get; }
    /// <summary>Step of the grid for <see cref="QuantizedOutputKind.Float32Dequantized"/> (the output scale).</summary>
    public float DequantScale { get; }

    /// <summary>The int32 bias of each channel.</summary>
    public ReadOnlySpan<int> Bias => _bias.AsSpan(0, Channels);
    /// <summary>The float multiplier of each channel.</summary>
    public ReadOnlySpan<float> Multiplier => _multiplier.AsSpan(0, Channels);

    private QuantizedOutput(QuantizedOutputKind kind, int channels, ReadOnlySpan<float> multiplier, ReadOnlySpan<int> bias,
        int zeroPoint, float lo, float hi, float dequantScale)
    {
        if (channels < 0) throw new ArgumentOutOfRangeException(nameof(channels), "channel count must not be negative");
        if (multiplier.Length != 1 && multiplier.Length != channels)
            throw new ArgumentException($"the multiplier has {multiplier.Length} values; it must have 1 or {channels} (one per channel)", nameof(multiplier));
        if (bias.Length != 0 && bias.Length != channels)
            throw new ArgumentException($"the bias has {bias.Length} values; it must have 0 or {channels} (one per channel)", nameof(bias));
        if (!(lo <= hi)) throw new ArgumentException($"the clamp [{lo}, {hi}] is empty");
        Kind = kind;
        Channels = channels;
        ZeroPoint = zeroPoint;
        Lo = lo;
        Hi = hi;
        DequantScale = dequantScale;
        // One spare element so that the pointer of an empty array is still valid.
        _bias = GC.AllocateArray<int>(channels + 1, pinned: true);
        _multiplier = GC.AllocateArray<float>(channels + 1, pinned: true);
        for (int o = 0; o < channels; o++)
        {
            _multiplier[o] = multiplier.Length == 1 ? multiplier[0] : multiplier[o];
            _bias[o] = bias.IsEmpty ? 0 : bias[o];
        }
    }

    /// <summary>
    /// A uint8 or int8 output with zero point <paramref name="zeroPoint"/>, clamped to [<paramref name="min"/>,
    /// <paramref name="max"/>] in the quantized domain (a fused Relu is min = zero point; absent bounds are the type's).
    /// </summary>
    public static QuantizedOutput Quantized(DataType type, int channels, ReadOnlySpan<float> multiplier, ReadOnlySpan<int> bias,
        int zeroPoint, int? min = null, int? max = null)
    {
        var (qmin, qmax) = Range(type);
        if (zeroPoint < qmin || zeroPoint > qmax) throw new ArgumentOutOfRangeException(nameof(zeroPoint), $"zero point {zeroPoint} is outside {type}'s range");
        int lo = Math.Max(qmin, min ?? qmin), hi = Math.Min(qmax, max ?? qmax);
        // An activation range outside the type's collapses to one value, as Q(clip(y)) does.
        if (lo > hi) lo = hi = Math.Clamp(min ?? qmin, qmin, qmax);
        return new QuantizedOutput(type == DataType.UInt8 ? QuantizedOutputKind.UInt8 : QuantizedOutputKind.Int8, channels,
            multiplier, bias, zeroPoint, lo - zeroPoint, hi - zeroPoint, 1);
    }

    /// <summary>A float output v = float(acc + bias) * scale, clamped to [min, max] (a fused Relu or Clip).</summary>
    public static QuantizedOutput Float(int channels, ReadOnlySpan<float> scale, ReadOnlySpan<int> bias,
        float min = float.NegativeInfinity, float max = float.PositiveInfinity)
        => new(QuantizedOutputKind.Float32, channels, scale, bias, 0, min, max, 1);

    /// <summary>An int32 output t = acc + bias (no scaling): the result of MatMulInteger and ConvInteger.</summary>
    public static QuantizedOutput Integer(int channels, ReadOnlySpan<int> bias = default)
        => new(QuantizedOutputKind.Int32, channels, [1f], bias, 0, float.NegativeInfinity, float.PositiveInfinity, 1);

    /// <summary>
    /// A float output on the grid of a quantized type: (q - zero point) * <paramref name="outputScale"/> where q is what
    /// <see cref="Quantized"/> with the same arguments would store (so Q then DQ in one step).
    /// </summary>
    public static QuantizedOutput Dequantized(DataType type, int channels, ReadOnlySpan<float> multiplier, ReadOnlySpan<int> bias,
        int zeroPoint, float outputScale, int? min = null, int? max = null)
    {
        var q = Quantized(type, channels, multiplier, bias, zeroPoint, min, max);
        return new QuantizedOutput(QuantizedOutputKind.Float32Dequantized, channels, multiplier, bias, zeroPoint, q.Lo, q.Hi, outputScale);
    }

    /// <summary>The same stage with <paramref name="delta"/>[o] added to each channel's bias (int32 wrap-around).</summary>
    internal QuantizedOutput WithBiasAdded(ReadOnlySpan<int> delta)
    {
        var bias = new int[Channels];
        for (int o = 0; o < Channels; o++) bias[o] = unchecked(_bias[o] + delta[o]);
        return new QuantizedOutput(Kind, Channels, Multiplier, bias, ZeroPoint, Lo, Hi, DequantScale);
    }

    /// <summary>The range of a quantized type.</summary>
    public static (int Min, int Max) Range(DataType type) => type switch
    {
        DataType.UInt8 => (0, 255),
        DataType.Int8 => (-128, 127),
        _ => throw new ArgumentException($"{type} is not an 8-bit quantized type", nameof(type)),
    };

    /// <summary>Bytes per output element.</summary>
    public int ElementSize => Kind is QuantizedOutputKind.UInt8 or QuantizedOutputKind.Int8 ? 1 : 4;

    /// <summary>The data type of the output tensor.</summary>
    public DataType OutputType => Kind switch
    {
        QuantizedOutputKind.UInt8 => DataType.UInt8,
        QuantizedOutputKind.Int8 => DataType.Int8,
        QuantizedOutputKind.Int32 => DataType.Int32,
        _ => DataType.Float32,
    };

    /// <summary>A short name for profiles, e.g. "u8" or "f32".</summary>
    public string Describe() => Kind switch
    {
        QuantizedOutputKind.UInt8 => "u8",
        QuantizedOutputKind.Int8 => "s8",
        QuantizedOutputKind.Float32 => "f32",
        QuantizedOutputKind.Int32 => "s32",
        _ => "f32q",
    };

    /// <summary>The bias array itself, for layers that own their copy and update it when a run-time zero point changes.</summary>
    internal Span<int> MutableBias => _bias.AsSpan(0, Channels);

    internal int* BiasPointer => (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_bias));
    internal float* MultiplierPointer => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_multiplier));

    /// <summary>
    /// The store descriptor for an output matrix C at <paramref name="c"/> (row stride <paramref name="ldc"/> elements),
    /// whose channels run along its rows (a convolution: C[K, pixels]) or its columns (a dense layer: C[batch, K]).
    /// </summary>
    internal QStore Store(void* c, nint ldc, bool channelsAreRows) => new()
    {
        Bias = BiasPointer,
        Multiplier = MultiplierPointer,
        Lo = Lo,
        Hi = Hi,
        Zero = ZeroPoint,
        Grid = DequantScale,
        Kind = Kind,
        ChannelsAreRows = channelsAreRows,
        C = (byte*)c,
        Ldc = ldc,
    };

    /// <summary>Scalar reference of one element: the value written for accumulator <paramref name="acc"/> of channel <paramref name="channel"/>.</summary>
    public double Reference(int acc, int channel)
    {
        int t = unchecked(acc + _bias[channel]);
        if (Kind == QuantizedOutputKind.Int32) return t;
        float v = (float)t * _multiplier[channel];
        v = v > Lo ? v : Lo;
        v = v < Hi ? v : Hi;
        return Kind switch
        {
            QuantizedOutputKind.UInt8 or QuantizedOutputKind.Int8 => (int)MathF.Round(v) + ZeroPoint,
            QuantizedOutputKind.Float32 => v,
            _ => MathF.Round(v) * DequantScale,
        };
    }
}

/// <summary>
/// How a finished int32 tile is written (see <see cref="QuantizedOutput"/>): per-channel bias and multiplier, clamp,
/// rounding, zero point. An optional correction t -= WeightZero[o] * ActSum serves matrix-vector products whose
/// weights kept their zero points (a single activation row, so one sum). The scalar <see cref="Finish"/> and the vector
/// writers perform the same IEEE operations in the same order (int to float, one multiply, max, min, round half to
/// even), so a value does not depend on whether its tile was a full or an edge one.
/// </summary>
internal unsafe struct QStore
{
    public int* Bias;
    public float* Multiplier;
    public float Lo, Hi, Grid;
    public int Zero;
    public QuantizedOutputKind Kind;
    /// <summary>Channels along C's rows (per-row bias and multiplier) or along its columns.</summary>
    public bool ChannelsAreRows;
    /// <summary>Output matrix and its row stride in elements (bytes for uint8/int8 outputs, floats otherwise).</summary>
    public byte* C;
    public nint Ldc;
    /// <summary>Per-channel weight zero points still inside the accumulators, or null.</summary>
    public int* WeightZero;
    /// <summary>Sum of the activation row the accumulators came from (with <see cref="WeightZero"/>).</summary>
    public int ActSum;

    /// <summary>Whether the output elements are bytes.</summary>
    public readonly bool Bytes => Kind is QuantizedOutputKind.UInt8 or QuantizedOutputKind.Int8;

    /// <summary>Address of element (row, col) of C.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly byte* At(int row, int col) => C + (row * Ldc + col) * (Bytes ? 1 : 4);

    /// <summary>Writes element (row, col) of C from its accumulator: the scalar form of the vector writers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly void Finish(int acc, int row, int col)
    {
        int o = ChannelsAreRows ? row : col;
        int t = unchecked(acc + Bias[o]);
        if (WeightZero != null) t = unchecked(t - WeightZero[o] * ActSum);
        if (Kind == QuantizedOutputKind.Int32)
        {
            *(int*)At(row, col) = t;
            return;
        }
        float v = (float)t * Multiplier[o];
        // The forms of maxps/minps: the first operand when the comparison holds, else the second.
        v = v > Lo ? v : Lo;
        v = v < Hi ? v : Hi;
        byte* p = At(row, col);
        switch (Kind)
        {
            case QuantizedOutputKind.UInt8: *p = (byte)((int)MathF.Round(v) + Zero); break;
            case QuantizedOutputKind.Int8: *(sbyte*)p = (sbyte)((int)MathF.Round(v) + Zero); break;
            case QuantizedOutputKind.Float32: *(float*)p = v; break;
            default: *(float*)p = MathF.Round(v) * Grid; break;
        }
    }

    /// <summary>
    /// Writes a tile of int32 sums (<paramref name="rows"/> rows of <paramref name="cols"/>, row stride
    /// <paramref name="ld"/>) at rows row0.., columns col0.. of C. Byte outputs hoist the channel constants: per row
    /// when channels are rows, per 8 columns (for all the tile's rows) when they are columns.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void FinishTile(int* tile, int ld, int rows, int row0, int col0, int cols)
    {
        if (!QVector256.Supported || !Bytes || WeightZero != null)
        {
            for (int r = 0; r < rows; r++) FinishRow(tile + r * ld, row0 + r, col0, cols);
            return;
        }
        if (ChannelsAreRows)
        {
            int whole = cols / 16 * 16;
            for (int r = 0; r < rows; r++)
            {
                if (whole > 0) QVector256.PutRow16(this, tile + r * ld, row0 + r, col0, whole);
                if (whole < cols) FinishRow(tile + r * ld + whole, row0 + r, col0 + whole, cols - whole);
            }
            return;
        }
        int j = 0;
        for (; j + 8 <= cols; j += 8) QVector256.PutColumns8(this, tile + j, ld, rows, row0, col0 + j);
        if (j < cols)
            for (int r = 0; r < rows; r++) FinishRow(tile + r * ld + j, row0 + r, col0 + j, cols - j);
    }

    /// <summary>Writes <paramref name="cols"/> elements of row <paramref name="row"/> from int32 accumulators, with vectors where they fit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public readonly void FinishRow(int* acc, int row, int col, int cols)
    {
        int j = 0;
        // A whole row of one channel (convolutions): its constants broadcast once, 16 outputs per step.
        if (ChannelsAreRows && Bytes && WeightZero == null && QVector256.Supported && cols >= 16)
        {
            QVector256.PutRow16(this, acc, row, col, cols);
            j = cols / 16 * 16;
        }
        if (QVector256.Supported)
            for (; j + 8 <= cols; j += 8) QVector256.Put(this, QVector256.Load(acc + j), row, col + j);
        for (; j + 4 <= cols; j += 4) QVector128.Put(this, QVector128.Load(acc + j), row, col + j);
        for (; j < cols; j++) Finish(acc[j], row, col + j);
    }
}
