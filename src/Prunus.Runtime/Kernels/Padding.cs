using Prunus.Tensors;

namespace Prunus.Kernels;

/// <summary>How Pad fills the border: a constant, a mirror without the edge (reflect), the edge repeated, or wrap-around.</summary>
public enum PadMode { Constant, Reflect, Edge, Wrap }

/// <summary>
/// Pad as an index map built once at plan time: for every axis and output coordinate, the source element offset it
/// reads (coordinate times the input stride), or -1 where the constant goes. Negative pads crop; reflect, edge and wrap
/// then act on the cropped extent (as the ONNX reference does). Forward and backward walk output rows: the inner axis
/// is an edge, a contiguous copy of the source row, and the other edge.
/// </summary>
public sealed class PadLayout
{
    /// <summary>Input shape.</summary>
    public int[] InputShape { get; }
    /// <summary>Output shape.</summary>
    public int[] OutputShape { get; }
    private readonly int[][] _offsets;
    // Along the inner axis: output positions [_copyAt, _copyAt + _copyLength) read source positions from _copyFrom.
    private readonly int _copyAt, _copyLength, _copyFrom;

    private PadLayout(int[] input, int[] output, int[][] offsets, int copyAt, int copyLength, int copyFrom)
    {
        InputShape = input;
        OutputShape = output;
        _offsets = offsets;
        _copyAt = copyAt;
        _copyLength = copyLength;
        _copyFrom = copyFrom;
    }

    /// <summary>
    /// The layout for padding <paramref name="input"/> by <paramref name="begins"/> and <paramref name="ends"/> per axis
    /// (negative values crop). Throws ArgumentException when an axis would be cropped below zero or when a non-constant
    /// mode has to pad an empty axis.
    /// </summary>
    public static PadLayout Create(int[] input, long[] begins, long[] ends, PadMode mode)
    {
        int rank = input.Length;
        if (begins.Length != rank || ends.Length != rank) throw new ArgumentException($"pads need {rank} begins and ends");
        var strides = ShapeMath.Strides(input);
        var output = new int[rank];
        var offsets = new int[rank][];
        int copyAt = 0, copyLength = 1, copyFrom = 0;
        for (int d = 0; d < rank; d++)
        {
            long len = input[d], b = begins[d], e = ends[d];
            long outLen = len + b + e;
            long lo = Math.Max(0, -b), kept = len - lo - Math.Max(0, -e);
            if (outLen < 0 || kept < 0)
                throw new ArgumentException($"pads {b} and {e} crop axis {d} of length {len} below zero");
            long pb = Math.Max(b, 0);
            if (kept == 0 && outLen > 0 && mode != PadMode.Constant)
                throw new ArgumentException($"{mode} padding of axis {d} needs at least one element, but the axis has none left");
            output[d] = checked((int)outLen);
            var map = new int[outLen];
            for (long o = 0; o < outLen; o++)
            {
                long s = o - pb;
                if (s < 0 || s >= kept)
                {
                    if (mode == PadMode.Constant) { map[o] = -1; continue; }
                    s = Source(s, kept, mode);
                }
                map[o] = (int)((lo + s) * strides[d]);
            }
            offsets[d] = map;
            if (d == rank - 1) { copyAt = (int)pb; copyLength = (int)kept; copyFrom = (int)lo; }
        }
        return new PadLayout((int[])input.Clone(), output, offsets, copyAt, copyLength, copyFrom);
    }

    // A position outside [0, kept) mapped back inside by the mode.
    private static long Source(long s, long kept, PadMode mode)
    {
        switch (mode)
        {
            case PadMode.Edge: return Math.Clamp(s, 0, kept - 1);
            case PadMode.Wrap: return ((s % kept) + kept) % kept;
            default:
                if (kept == 1) return 0;
                long period = 2 * (kept - 1);
                s = ((s % period) + period) % period;
                return s < kept ? s : period - s;
        }
    }

    /// <summary>Number of output elements.</summary>
    public int Length => ShapeMath.Size(OutputShape);

    /// <summary>dst = src padded with <paramref name="value"/>; any element type (or its bits).</summary>
    public void Forward<T>(ReadOnlySpan<T> src, T value, Span<T> dst) where T : unmanaged
    {
        int rank = OutputShape.Length;
        if (rank == 0) { dst[0] = src[0]; return; }
        int inner = OutputShape[rank - 1];
        if (Length == 0) return;
        var innerMap = _offsets[rank - 1];
        int rows = Length / inner;
        Span<int> index = stackalloc int[rank];
        for (int r = 0; r < rows; r++)
        {
            var row = dst.Slice(r * inner, inner);
            int baseAt = RowBase(index);
            if (baseAt < 0) row.Fill(value);
            else
            {
                for (int j = 0; j < _copyAt; j++) row[j] = innerMap[j] < 0 ? value : src[baseAt + innerMap[j]];
                src.Slice(baseAt + _copyFrom, _copyLength).CopyTo(row.Slice(_copyAt, _copyLength));
                for (int j = _copyAt + _copyLength; j < inner; j++) row[j] = innerMap[j] < 0 ? value : src[baseAt + innerMap[j]];
            }
            Next(index);
        }
    }

    /// <summary>dx += the gradient of <see cref="Forward{T}"/>: each output element's dy goes to the source it read.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx)
    {
        int rank = OutputShape.Length;
        if (rank == 0) { dx[0] += dy[0]; return; }
        int inner = OutputShape[rank - 1];
        if (Length == 0) return;
        var innerMap = _offsets[rank - 1];
        int rows = Length / inner;
        Span<int> index = stackalloc int[rank];
        for (int r = 0; r < rows; r++)
        {
            var row = dy.Slice(r * inner, inner);
            int baseAt = RowBase(index);
            if (baseAt >= 0)
            {
                for (int j = 0; j < _copyAt; j++) if (innerMap[j] >= 0) dx[baseAt + innerMap[j]] += row[j];
                Elementwise.AddInPlace(dx.Slice(baseAt + _copyFrom, _copyLength), row.Slice(_copyAt, _copyLength));
                for (int j = _copyAt + _copyLength; j < inner; j++) if (innerMap[j] >= 0) dx[baseAt + innerMap[j]] += row[j];
            }
            Next(index);
        }
    }

    /// <summary>Plain reference of <see cref="Forward{T}"/>: each output element's source from its coordinates.</summary>
    public void ForwardReference<T>(ReadOnlySpan<T> src, T value, Span<T> dst) where T : unmanaged
    {
        for (int j = 0; j < Length; j++)
        {
            int at = SourceOf(j);
            dst[j] = at < 0 ? value : src[at];
        }
    }

    /// <summary>Plain reference of <see cref="Backward"/>.</summary>
    public void BackwardReference(ReadOnlySpan<float> dy, Span<float> dx)
    {
        for (int j = 0; j < Length; j++)
        {
            int at = SourceOf(j);
            if (at >= 0) dx[at] += dy[j];
        }
    }

    private int SourceOf(int j)
    {
        int at = 0;
        bool pad = false;
        for (int d = OutputShape.Length - 1; d >= 0; d--)
        {
            int m = _offsets[d][j % OutputShape[d]];
            j /= OutputShape[d];
            if (m < 0) pad = true;
            at += m;
        }
        return pad ? -1 : at;
    }

    // Source offset of the current row's axes except the last, or -1 when any of them is padding.
    private int RowBase(ReadOnlySpan<int> index)
    {
        int at = 0;
        for (int d = 0; d < index.Length - 1; d++)
        {
            int m = _offsets[d][index[d]];
            if (m < 0) return -1;
            at += m;
        }
        return at;
    }

    private void Next(Span<int> index)
    {
        for (int d = index.Length - 2; d >= 0; d--)
        {
            if (++index[d] < OutputShape[d]) return;
            index[d] = 0;
        }
    }
}
