using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// The plan-time choice between dense and sparse integer kernels, from the weights' actual zeros (values equal to
/// their channel's zero point). The sparse kernels do two nonzeros per vpmaddwd over 16 lanes, about as fast per
/// multiply-add as the dense int16-pairs kernels and 0.6 to 0.7 as fast as the split family, plus a cost per row;
/// so they win below roughly a third of the weights. Batch-1 dense layers stream their weights once (bytes), where
/// a scalar sparse dot product wins only at lower densities.
/// </summary>
internal static class QuantizedSparseSelection
{
    /// <summary>Densities at or below which convolutions (stride 1, strided) and dense layers at batch above 1 run sparse.</summary>
    internal static double ConvShift = 0.4, ConvIm2Col = 0.3, Linear = 0.3;
    /// <summary>
    /// Batch 1: density at or below which the scalar sparse dot products beat the byte-streaming GEMV (measured: at
    /// 0.1, 800 x 500, the sparse one took 2 to 4 times as long).
    /// </summary>
    internal static double Gemv = 0.03;
}

/// <summary>
/// An integer convolution whose constant weights are mostly zero: each image is lowered to int16 values x - z_x so
/// that every tap is one contiguous run over the output plane (stride 1: KW shifted copies of the padded image,
/// xs[j, c, h, ow] = x[c, h - padTop, ow + j·dw - padLeft]; other strides: the im2col rows), then each output
/// channel sums its nonzero taps' runs, two at a time (<see cref="QSparseRows"/>), and the output stage writes the
/// row. Weights that fit the byte encodings use the byte form instead (<see cref="QSparseBytes"/>: the lowered image
/// holds the stored activation bytes, padding the zero point). Batches of several images per thread run one image per
/// task; smaller ones split the channels.
/// </summary>
public sealed unsafe class QuantizedSparseConvolution : IParallelWork
{
    private readonly ConvGeometry _g;
    private readonly QSparseRows? _rows;
    private readonly QSparseBytes? _bytes;
    private readonly QuantizedOutput _output, _given;
    private readonly bool _shift, _wide, _inputSigned;
    private int _inputZero;
    private readonly int _hs, _lowered, _padded, _lanes, _wp;
    private readonly QTap[] _taps;
    private readonly int[] _bounds = new int[130];
    private short[] _shared = [];

    // Operands of the current run.
    private byte* _x, _y;
    private short* _image;
    private int _n, _parts;
    private bool _perImage;

    private QuantizedSparseConvolution(ConvGeometry g, QSparseRows? rows, QSparseBytes? bytes, bool inputSigned, int inputZero, QuantizedOutput output)
    {
        _g = g;
        _rows = rows;
        _bytes = bytes;
        _given = output;
        _output = bytes is null ? output : output.WithBiasAdded(new int[g.K]);
        _inputSigned = inputSigned;
        _inputZero = inputZero;
        if (bytes is not null) Correct();
        _shift = g.StrideH == 1 && g.StrideW == 1;
        // Byte form, stride 1: the padded image itself, its rows' padding columns computed along and dropped.
        _wide = _shift && bytes is not null;
        var (hp, wp) = QIm2Col.PaddedSize(g);
        _hs = hp;
        _wp = wp;
        _padded = g.C * hp * wp;
        _lowered = _wide ? 0 : _shift ? g.KW * g.C * _hs * g.OW : g.ColRows * g.OutPlane;
        _lanes = _wide ? g.OH * wp : g.OutPlane;
        _taps = QTap.Table(g);
    }

    /// <summary>A sparse convolution when the weights are sparse enough for <paramref name="g"/>, else null.</summary>
    internal static QuantizedSparseConvolution? Choose(ConvGeometry g, ReadOnlySpan<byte> w, bool weightsSigned, ReadOnlySpan<int> weightZero,
        bool inputSigned, int inputZero, QuantizedOutput output, bool force = false)
    {
        if (!force && !SparseSelection.Enabled) return null;
        if (g.PadTop < 0 || g.PadLeft < 0 || g.PadBottom < 0 || g.PadRight < 0 || g.K == 0 || g.ColRows == 0) return null;
        // The weight as [K, C*KH*KW]: each row's own group's columns, the others its zero point (no nonzeros).
        int gcr = g.GroupColRows;
        var dense = new byte[g.K * g.ColRows];
        for (int k = 0; k < g.K; k++)
        {
            int z = weightZero.Length == 1 ? weightZero[0] : weightZero[k];
            dense.AsSpan(k * g.ColRows, g.ColRows).Fill((byte)z);
            w.Slice(k * gcr, gcr).CopyTo(dense.AsSpan(k * g.ColRows + k / g.Kg * gcr, gcr));
        }
        var bytes = new QBytes(dense, weightsSigned, weightZero);
        double density = (double)QSparseRows.CountNonZeros(g.K, g.ColRows, bytes, g.ColRows, false) / ((long)g.K * g.ColRows);
        bool shift = g.StrideH == 1 && g.StrideW == 1;
        if (!force && density > (shift ? QuantizedSparseSelection.ConvShift : QuantizedSparseSelection.ConvIm2Col)) return null;
        int c = g.C, kw = g.KW, taps = g.Taps, ow = g.OW, p = g.OutPlane, dh = g.DilationH, kh = g.KH;
        int hs = QIm2Col.PaddedSize(g).Hp;
        int wp = QIm2Col.PaddedSize(g).Wp, dw = g.DilationW;
        bool wide = shift && Avx2.IsSupported && QPack.FitsVnni(weightsSigned, weightZero);
        Func<int, int> offset = wide
            ? d => (d / taps * hs + d / kw % kh * dh) * wp + d % kw * dw
            : shift
            ? d => ((d % kw * c + d / taps) * hs + d / kw % kh * dh) * ow
            : d => d * p;
        if (Avx2.IsSupported && QPack.FitsVnni(weightsSigned, weightZero))
            return new QuantizedSparseConvolution(g, null, new QSparseBytes(g.K, g.ColRows, bytes, g.ColRows, false, offset), inputSigned, inputZero, output);
        var rows = new QSparseRows(g.K, g.ColRows, bytes, g.ColRows, false, offset);
        return new QuantizedSparseConvolution(g, rows, null, inputSigned, inputZero, output);
    }

    private double Density => _bytes?.Density ?? _rows!.Density;

    /// <summary>A short name for profiles, e.g. "qsparse-conv(density 0.10, shift)".</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"qsparse-conv{(_bytes is null ? "" : "-u8s8")}(density {Density:F2}, {(_wide ? "padded rows" : _shift ? "shift" : "im2col")}, {_given.Describe()})");

    /// <summary>Sets the activation zero point of the following runs.</summary>
    public void SetInputZero(int zero)
    {
        if (zero == _inputZero) return;
        _inputZero = zero;
        if (_bytes is not null) Correct();
    }

    /// <summary>Byte form: bias minus z_u Σ w per channel (the stored activations carry their zero point).</summary>
    private void Correct()
    {
        int zu = QPack.VnniActivationZero(_inputZero, _inputSigned);
        var bias = _output.MutableBias;
        for (int k = 0; k < _g.K; k++) bias[k] = unchecked(_given.Bias[k] - zu * _bytes!.RowSums[k]);
    }

    private int Pairs => _bytes?.Pairs ?? _rows!.Pairs;

    private int Partition(int parts, int[] bounds) => _bytes?.Partition(parts, bounds) ?? _rows!.Partition(parts, bounds);

    /// <summary>y = stage(conv(x, w)): x [N,C,H,W] bytes, y [N,K,OH,OW] in the output stage's type, as bytes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(ReadOnlySpan<byte> x, Span<byte> y, WorkerPool? pool)
    {
        var g = _g;
        if (g.N == 0 || g.OutPlane == 0) return;
        int threads = pool?.Threads ?? 1;
        long work = (Pairs + g.K) * (long)g.OutPlane;
        fixed (byte* px = x, py = y)
        {
            _x = px;
            _y = py;
            // Splitting one image's channels between threads pays only for larger layers (LeNet-5's second layer,
            // about 80 K pairs-by-pixels, ran slower split than on one thread).
            _perImage = threads == 1 || g.N >= 2 * threads || work < (1 << 17);
            if (_perImage)
            {
                if (threads > 1 && g.N > 1 && work * g.N >= (1 << 16)) pool!.For(g.N, this);
                else for (int n = 0; n < g.N; n++) Run(n);
            }
            else
            {
                if (_shared.Length == 0) _shared = GC.AllocateArray<short>(Scratch(), pinned: true);
                _parts = Partition(Math.Min(4 * threads, 128), _bounds);
                fixed (short* shared = _shared)
                    for (int n = 0; n < g.N; n++)
                    {
                        _n = n;
                        _image = Lower(n, shared);
                        pool!.For(_parts, this);
                    }
            }
            _x = _y = null;
            _image = null;
        }
        GC.KeepAlive(_output);
    }

    /// <summary>int16 values of scratch: the padded image (shift lowering), the lowered image, slack (bytes take half).</summary>
    private int Scratch() => (_shift ? _padded : 0) + _lowered + 128;

    /// <summary>Whether the image is its own lowering: uint8, no padding, rows read as they are (byte form, stride 1).</summary>
    private bool InPlace => _wide && !_inputSigned && _g.PadTop == 0 && _g.PadLeft == 0 && _g.PadBottom == 0 && _g.PadRight == 0;

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(int index)
    {
        var g = _g;
        int* acc = (int*)GemmScratch.Get(1, _lanes + 64);
        if (_perImage)
        {
            short* scratch = (short*)GemmScratch.Get(0, Scratch() / 2 + 16);
            short* image = Lower(index, scratch);
            Compute(index, image, 0, g.K, acc);
        }
        else Compute(_n, _image, _bounds[index], _bounds[index + 1], acc);
    }

    /// <summary>Image n lowered into scratch (int16 values, or bytes in the byte form); returns the start of the lowered values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private short* Lower(int n, short* scratch)
    {
        var g = _g;
        byte* image = _x + (nint)n * g.C * g.InPlane;
        var (hp, wp) = QIm2Col.PaddedSize(g);
        if (_bytes is not null)
        {
            byte pad = (byte)QPack.VnniActivationZero(_inputZero, _inputSigned);
            byte* b = (byte*)scratch;
            if (_wide)
            {
                // Reads run up to KW + 31 bytes past the image's end, in lanes that are dropped: the image itself is read
                // in place when another image follows it in x, else copied into the scratch (which has the slack).
                if (InPlace && n < g.N - 1) return (short*)image;
                QIm2Col.PadBytes(g, image, _inputSigned, pad, b, 0, g.C);
                return scratch;
            }
            if (!_shift)
            {
                for (int r = 0; r < g.ColRows; r++) QIm2Col.RowBytes(g, image, _taps[r], _inputSigned, pad, b + (nint)r * g.OutPlane);
                return scratch;
            }
            QIm2Col.PadBytes(g, image, _inputSigned, pad, b, 0, g.C);
            ShiftCopies(b, b + _padded, 1, hp, wp);
            return (short*)(b + _padded);
        }
        if (!_shift)
        {
            for (int r = 0; r < g.ColRows; r++) QIm2Col.RowPairs(g, image, _taps[r], _inputSigned, _inputZero, scratch + (nint)r * g.OutPlane);
            return scratch;
        }
        QIm2Col.PadPairs(g, image, _inputSigned, _inputZero, scratch, 0, g.C);
        ShiftCopies((byte*)scratch, (byte*)(scratch + _padded), 2, hp, wp);
        return scratch + _padded;
    }

    /// <summary>
    /// The KW shifted copies of the padded planes (<paramref name="elem"/> bytes per value, planes hp x wp):
    /// xs[j, c, h, ow] = padded[c, h, ow + j·dw], so that every tap is one contiguous run.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ShiftCopies(byte* padded, byte* xs, int elem, int hp, int wp)
    {
        var g = _g;
        int ow = g.OW;
        for (int j = 0; j < g.KW; j++)
            for (int c = 0; c < g.C; c++)
            {
                byte* src = padded + ((nint)c * hp * wp + j * g.DilationW) * elem;
                byte* dst = xs + ((nint)(j * g.C + c) * _hs) * ow * elem;
                for (int h = 0; h < _hs; h++, src += wp * elem, dst += ow * elem) QMoves.Copy(src, dst, ow * elem);
            }
    }

    /// <summary>Output channels [k0, k1) of image n.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Compute(int n, short* image, int k0, int k1, int* acc)
    {
        var g = _g;
        int p = g.OutPlane;
        var st = _output.Store(_y + (nint)n * g.K * p * _output.ElementSize, p, channelsAreRows: true);
        bool direct = _bytes is not null && st.Bytes && Avx2.IsSupported;
        if (_wide)
        {
            // Lanes cover OH rows of the padded width: output row oh is lanes [oh Wp, oh Wp + OW).
            for (int k = k0; k < k1; k++)
            {
                _bytes!.Row(k, (byte*)image, _lanes, acc);
                for (int oh = 0; oh < g.OH; oh++) st.FinishRow(acc + oh * _wp, k, oh * g.OW, g.OW);
            }
            return;
        }
        for (int k = k0; k < k1; k++)
        {
            if (direct) { _bytes!.RowToBytes(k, (byte*)image, p, st, acc); continue; }
            if (_bytes is not null) _bytes.Row(k, (byte*)image, p, acc);
            else _rows!.Row(k, image, p, acc);
            st.FinishRow(acc, k, 0, p);
        }
    }
}

/// <summary>
/// A dense integer layer whose constant weights are mostly zero: y[M, N] = stage(x W) with the weight kept by output
/// (rows N, columns K; <see cref="QSparseRows"/>). Batch 1: a scalar sparse dot product per output over x - z_x.
/// Larger batches transpose x once into X[K, M] (int16, x - z_x) so that each pair of nonzeros multiplies two rows of
/// X, vectors over the batch; each task computes 8 outputs for the whole batch, transposes them and writes them
/// through the output stage, 8 channels per vector.
/// </summary>
public sealed unsafe class QuantizedSparseLinear : IParallelWork
{
    private const int Group = 8;
    private readonly int _m, _k, _n, _ldx;
    private readonly QSparseRows? _rows;
    private readonly QSparseBytes? _bytes;
    private readonly QuantizedOutput _output, _given;
    private readonly bool _inputSigned;
    private int _inputZero;
    private readonly short[] _xt;
    private readonly int[] _bounds = new int[130];

    // Operands of the current run.
    private byte* _x, _y;
    private int _parts;
    private bool _transposing;

    private QuantizedSparseLinear(int m, int k, int n, QSparseRows? rows, QSparseBytes? bytes, bool inputSigned, int inputZero, QuantizedOutput output)
    {
        _m = m; _k = k; _n = n;
        _rows = rows;
        _bytes = bytes;
        _inputSigned = inputSigned;
        _inputZero = inputZero;
        _given = output;
        _output = bytes is null ? output : output.WithBiasAdded(new int[n]);
        _ldx = Stride(m, bytes is not null);
        _xt = GC.AllocateArray<short>(k * _ldx + 64, pinned: true);
        if (bytes is not null) Correct();
    }

    /// <summary>Lanes per row of X: the batch rounded up to the kernels' vectors (bytes: 32 lanes, values: 16).</summary>
    private static int Stride(int m, bool bytes) => m <= 1 ? 1 : bytes ? (m + 31) / 32 * 32 : (m + 15) / 16 * 16;

    private void Correct()
    {
        int zu = QPack.VnniActivationZero(_inputZero, _inputSigned);
        var bias = _output.MutableBias;
        for (int o = 0; o < _n; o++) bias[o] = unchecked(_given.Bias[o] - zu * _bytes!.RowSums[o]);
    }

    /// <summary>A sparse layer when the weights are sparse enough at batch <paramref name="m"/>, else null.</summary>
    internal static QuantizedSparseLinear? Choose(int m, int k, int n, ReadOnlySpan<byte> w, bool weightsSigned, ReadOnlySpan<int> weightZero,
        bool transB, bool inputSigned, int inputZero, QuantizedOutput output, bool force = false)
    {
        if (!force && !SparseSelection.Enabled || m < 1 || (long)k * n == 0) return null;
        var bytes = new QBytes(w, weightsSigned, weightZero);
        // Rows are outputs: element (o, t) is W[t, o] (stored [K, N]) or W[o, t] (stored [N, K]).
        double density = (double)QSparseRows.CountNonZeros(n, k, bytes, transB ? k : n, !transB) / ((long)k * n);
        if (!force && density > (m == 1 ? QuantizedSparseSelection.Gemv : QuantizedSparseSelection.Linear)) return null;
        // Batch 1 runs the scalar dot products of the int16 form; larger batches the byte form when the weights fit it.
        if (m > 1 && Avx2.IsSupported && QPack.FitsVnni(weightsSigned, weightZero))
        {
            int ldb = Stride(m, true);
            return new QuantizedSparseLinear(m, k, n, null, new QSparseBytes(n, k, bytes, transB ? k : n, !transB, d => d * ldb), inputSigned, inputZero, output);
        }
        int ldx = Stride(m, false);
        var rows = new QSparseRows(n, k, bytes, transB ? k : n, !transB, d => d * ldx);
        return new QuantizedSparseLinear(m, k, n, rows, null, inputSigned, inputZero, output);
    }

    private int Pairs => _bytes?.Pairs ?? _rows!.Pairs;

    /// <summary>A short name for profiles.</summary>
    public string Describe() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"qsparse-{(_m == 1 ? "gemv" : "gemm")}{(_bytes is null ? "" : "-u8s8")}(density {_bytes?.Density ?? _rows!.Density:F2}, {_given.Describe()})");

    /// <summary>Sets the activation zero point of the following runs.</summary>
    public void SetInputZero(int zero)
    {
        if (zero == _inputZero) return;
        _inputZero = zero;
        if (_bytes is not null) Correct();
    }

    /// <summary>y = stage(x W): x [M, K] bytes, y [M, N] in the output stage's type, as bytes.</summary>
    public void Forward(ReadOnlySpan<byte> x, Span<byte> y, WorkerPool? pool)
    {
        int threads = pool?.Threads ?? 1;
        bool parallel = threads > 1 && (long)Pairs * _m >= 1 << 14;
        fixed (byte* px = x, py = y)
        {
            _x = px;
            _y = py;
            if (_m > 1)
            {
                _transposing = true;
                _parts = parallel ? Math.Min(threads, (_k + 63) / 64) : 1;
                this.RunAll(_parts, parallel && _m * _k >= 1 << 14, pool);
                _transposing = false;
                _parts = (_n + Group - 1) / Group;
                this.RunAll(_parts, parallel, pool);
            }
            else
            {
                fixed (short* xs = _xt)
                    for (int t = 0; t < _k; t++) xs[t] = (short)((_inputSigned ? (sbyte)px[t] : px[t]) - _inputZero);
                _parts = _rows!.Partition(parallel ? Math.Min(4 * threads, 64) : 1, _bounds);
                this.RunAll(_parts, parallel, pool);
            }
            _x = _y = null;
        }
        GC.KeepAlive(_output);
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(int index)
    {
        if (_m == 1) Gemv(index);
        else if (_transposing) Transpose(index);
        else Outputs(index);
    }

    /// <summary>X[k, m] = x[m, k] - z for the columns k of part <paramref name="part"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Transpose(int part)
    {
        int chunk = (_k + _parts - 1) / _parts;
        int k0 = part * chunk, k1 = Math.Min(_k, k0 + chunk);
        fixed (short* xt = _xt)
        {
            if (_bytes is not null)
            {
                // The stored bytes, int8 ones shifted to uint8.
                QMoves.Transpose(_x + k0, _m, k1 - k0, _k, (byte*)xt + (nint)k0 * _ldx, _ldx, _inputSigned ? (byte)0x80 : (byte)0);
                return;
            }
            for (int m = 0; m < _m; m++)
            {
                byte* row = _x + (nint)m * _k;
                if (_inputSigned) for (int k = k0; k < k1; k++) xt[k * _ldx + m] = (short)((sbyte)row[k] - _inputZero);
                else for (int k = k0; k < k1; k++) xt[k * _ldx + m] = (short)(row[k] - _inputZero);
            }
        }
    }

    /// <summary>Outputs [8 g, 8 g + 8) for the whole batch.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Outputs(int group)
    {
        int o0 = group * Group, count = Math.Min(Group, _n - o0);
        int* acc = (int*)GemmScratch.Get(1, Group * (_ldx + 64) + Group * _m + 16);
        int* tile = acc + Group * (_ldx + 64);
        fixed (short* xt = _xt)
            for (int o = 0; o < count; o++)
            {
                if (_bytes is not null) _bytes.Row(o0 + o, (byte*)xt, _m, acc + o * (_ldx + 64));
                else _rows!.Row(o0 + o, xt, _m, acc + o * (_ldx + 64));
            }
        for (int m = 0; m < _m; m++)
            for (int o = 0; o < count; o++) tile[m * Group + o] = acc[o * (_ldx + 64) + m];
        var st = _output.Store(_y, _n, channelsAreRows: false);
        for (int m = 0; m < _m; m++) st.FinishRow(tile + m * Group, m, o0, count);
    }

    /// <summary>Batch 1: outputs [bounds[part], bounds[part + 1]), a scalar dot product each over x - z.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Gemv(int part)
    {
        int r0 = _bounds[part], r1 = _bounds[part + 1];
        var rows = _rows!;
        int* start = rows.Start, oa = rows.OffA, ob = rows.OffB, wd = rows.Word;
        int* acc = (int*)GemmScratch.Get(1, _n + 16);
        fixed (short* x = _xt)
            for (int r = r0; r < r1; r++)
            {
                int s0 = 0, s1 = 0;
                for (int p = start[r]; p < start[r + 1]; p++)
                {
                    int word = wd[p];
                    s0 += (short)word * x[oa[p]];
                    s1 += (word >> 16) * x[ob[p]];
                }
                acc[r - r0] = s0 + s1;
            }
        _output.Store(_y, _n, channelsAreRows: false).FinishRow(acc, 0, r0, r1 - r0);
        GC.KeepAlive(rows);
    }
}
