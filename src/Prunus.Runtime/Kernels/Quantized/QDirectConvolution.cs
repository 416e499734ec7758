using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>Which four activations a word of a quad plane holds.</summary>
internal enum QuadKind
{
    /// <summary>Four consecutive channels at one pixel (channels past the last hold the zero point).</summary>
    Channels,
    /// <summary>Four consecutive pixels of one row of one channel: layers with fewer channels than that (first layers).</summary>
    Columns,
}

/// <summary>
/// A dense stride-1 integer convolution computed on the image in place, the integer form of the float direct kernel
/// (<see cref="SparseLowering.Rows"/>), for AVX2 machines without VNNI. Each image is rewritten once as quad planes:
/// 32-bit words of four uint8 activations (<see cref="QuadKind"/>), padded with the activation zero point. Eight
/// neighbouring words of a plane row are then the operands of eight neighbouring outputs for one quad of taps, and
/// vpmaddubsw multiplies them with a broadcast word of four weights: 32 multiply-adds per instruction, no lowered
/// copy of the image. On this path each multiply instruction yields 16 exact multiply-adds against the float FMA's 8,
/// so the integer layer can beat the float one by at most the ratio of the two instructions' rates (about 1.4 to 1.7
/// measured on AMD EPYC AVX2 cores, not 2); VNNI machines keep the VNNI GEMM. vpmaddubsw saturates its int16 pair
/// sums, so the weights are split as in <see cref="QKernelSplit{TSide}"/> (w = 16 wh + wl, both within [-8, 8]): pair sums stay within 4080 and
/// <see cref="Steps"/> quads accumulate exactly in int16 before being widened into int32. A tile is two output
/// channels by up to two output rows of eight columns (<see cref="MaxRows"/>). Padding holds the zero point z, and
/// Σ (x - z) w = Σ x w - z Σ w moves the zero point into the bias. Fixed shapes: one instance per plan.
/// </summary>
internal sealed unsafe class QDirectConvolution
{
    /// <summary>Quads accumulated in int16 between widenings: 8 pair sums of at most 4080 stay below 32768.</summary>
    private const int Steps = 8;
    private const int Lanes = 8;
    /// <summary>
    /// Output rows per tile. Two: two channels by two rows hold eight int16 pairs of accumulators in twelve registers
    /// with the loads, the broadcast and the product; three rows would need seventeen and spill.
    /// </summary>
    private const int MaxRows = 2;

    /// <summary>
    /// Largest image, in quad words, taken without <c>force</c>: each image's planes are built whole and read by every
    /// output channel, which pays while they stay in L2. Larger images (not measured) keep the integer GEMM, as the float
    /// direct kernel's limit (<see cref="SparseSelection.DirectDenseImage"/>) keeps large images on the float GEMM.
    /// </summary>
    internal const long MaxImageWords = 64 << 10;

    /// <summary>Off with PRUNUS_QDIRECT=0 (for timing against the other integer convolutions).</summary>
    internal static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("PRUNUS_QDIRECT") != "0";

    /// <summary>
    /// One quad of taps: element j is tap (C0 + j DC, KH0 + j DH, KW0 + j DW) of the weights, read from word
    /// (KH0, KW0) of plane <see cref="Plane"/> relative to the output position. Channel quads step channels (DC = 1),
    /// column quads columns (DW = 1), row quads rows (DH = 1); elements past the kernel or the channels weigh 0.
    /// </summary>
    private readonly record struct Quad(int Plane, int C0, int KH0, int KW0, int DC, int DH, int DW);

    private readonly ConvGeometry _g;
    private readonly QuadKind _kind;
    private readonly bool _rowPlanes;
    // Quad planes of one image: _planeCount planes of _hp rows of _wq words. Padded byte planes: _hp + 3 rows of _wr bytes.
    private readonly int _planeCount, _hp, _wq, _wr, _quads, _pairs;
    private readonly long _imageWords;
    private readonly int[] _offsets;
    private readonly int[] _weights;
    private readonly int[] _weightSums;
    private readonly int[] _baseBias;
    private readonly QuantizedOutput _output;
    private readonly bool _inputSigned;
    private int _inputZero;
    private readonly ParallelBody _imageBody, _lowerBody, _chunkBody;
    private int[] _shared = [];
    private int _chunks;
    private byte* _x, _y;
    private int* _sharedPtr;

    [ThreadStatic] private static int[]? t_quads;
    [ThreadStatic] private static byte[]? t_padded;

    private QDirectConvolution(ConvGeometry g, QuadKind kind, Quad[] quads, int[] weights, int[] weightSums, bool inputSigned, int inputZero, QuantizedOutput output)
    {
        _g = g;
        _kind = kind;
        _rowPlanes = quads.Any(q => q.DH == 1);
        _hp = g.H + g.PadTop + g.PadBottom;
        int wpad = g.W + g.PadLeft + g.PadRight, owv = (g.OW + Lanes - 1) / Lanes * Lanes;
        // Words read: output column chunks of eight, each up to the last tap's column.
        _wq = owv + (g.KW - 1) * g.DilationW;
        _wr = Math.Max(wpad, _wq + 3);
        _planeCount = kind == QuadKind.Channels ? (g.C + 3) / 4 : _rowPlanes ? 2 * g.C : g.C;
        _imageWords = (long)_planeCount * _hp * _wq + Lanes;
        _quads = quads.Length;
        _pairs = (g.K + 1) / 2;
        _offsets = quads.Select(q => (q.Plane * _hp + q.KH0 * g.DilationH) * _wq + q.KW0 * g.DilationW).ToArray();
        _weights = weights;
        _weightSums = weightSums;
        _inputSigned = inputSigned;
        _baseBias = output.Bias.ToArray();
        _output = output.WithBiasAdded(new int[g.K]);
        SetBias(inputZero);
        _imageBody = new ParallelBody(ImageTask);
        _lowerBody = new ParallelBody(n => LowerImage(n, _sharedPtr + n * _imageWords));
        _chunkBody = new ParallelBody(ChunkTask);
    }

    /// <summary>
    /// The quads that cover every tap once. Channel quads: four channels at each tap. Column quads (one channel's
    /// planes): four neighbouring columns of each kernel row; the columns left over when the kernel width is not a
    /// multiple of four go by row quads (four neighbouring rows of one column, a second plane per channel) when that
    /// takes fewer quads: a 5x5 kernel takes 7 quads instead of 10.
    /// </summary>
    private static Quad[] Cover(ConvGeometry g, QuadKind kind)
    {
        var quads = new List<Quad>();
        if (kind == QuadKind.Channels)
        {
            for (int p = 0; p < (g.C + 3) / 4; p++)
                for (int kh = 0; kh < g.KH; kh++)
                    for (int kw = 0; kw < g.KW; kw++) quads.Add(new Quad(p, 4 * p, kh, kw, 1, 0, 0));
            return [.. quads];
        }
        int full = g.KW / 4 * 4, rest = g.KW - full, fullRows = g.DilationH == 1 ? g.KH / 4 * 4 : 0;
        bool rows = rest > 0 && rest * (fullRows / 4) + (g.KH - fullRows) < g.KH;
        for (int c = 0; c < g.C; c++)
        {
            for (int kh = 0; kh < g.KH; kh++)
                for (int kw = 0; kw < full; kw += 4) quads.Add(new Quad(c, c, kh, kw, 0, 0, 1));
            if (rest == 0) continue;
            if (rows)
                for (int kw = full; kw < g.KW; kw++)
                    for (int kh = 0; kh < fullRows; kh += 4) quads.Add(new Quad(g.C + c, c, kh, kw, 0, 1, 0));
            for (int kh = rows ? fullRows : 0; kh < g.KH; kh++) quads.Add(new Quad(c, c, kh, full, 0, 0, 1));
        }
        return [.. quads];
    }

    /// <summary>
    /// The direct integer convolution for these weights, or null when it does not apply: it needs AVX2, stride 1, one
    /// group, weights minus their zero points within int8, and (unless <paramref name="force"/>, for tests) a machine
    /// without VNNI, weights dense enough that the sparse forms do not pay
    /// (<see cref="FloatCarriedConvolution.IntegerDenseCrossover"/>), output rows of at least four columns and images
    /// of at most <see cref="MaxImageWords"/> quad words.
    /// </summary>
    public static QDirectConvolution? Choose(ConvGeometry g, ReadOnlySpan<byte> w, bool weightsSigned, ReadOnlySpan<int> weightZero,
        bool inputSigned, int inputZero, QuantizedOutput output, bool force = false)
    {
        g.Validate();
        if (!Avx2.IsSupported || g.StrideH != 1 || g.StrideW != 1 || g.Groups != 1) return null;
        if (!force && (!Enabled || AvxVnni.IsSupported || g.OW < 4)) return null;
        // Column quads read four neighbouring pixels; dilated columns would need their own words, so they take channel quads.
        var byChannels = Cover(g, QuadKind.Channels);
        var byColumns = g.DilationW == 1 ? Cover(g, QuadKind.Columns) : null;
        var kind = byColumns is not null && byColumns.Length < byChannels.Length ? QuadKind.Columns : QuadKind.Channels;
        var quads = kind == QuadKind.Columns ? byColumns! : byChannels;
        var words = new int[(long)(g.K + 1) / 2 * quads.Length * 4];
        var sums = new int[g.K];
        long nonzero = 0;
        for (int k = 0; k < g.K; k++)
        {
            int z = weightZero.Length == 1 ? weightZero[0] : weightZero[k];
            for (int q = 0; q < quads.Length; q++)
            {
                var quad = quads[q];
                int high = 0, low = 0;
                for (int j = 0; j < 4; j++)
                {
                    int c = quad.C0 + j * quad.DC, kh = quad.KH0 + j * quad.DH, kw = quad.KW0 + j * quad.DW;
                    if (c >= g.C || kh >= g.KH || kw >= g.KW) continue;
                    byte raw = w[((k * g.C + c) * g.KH + kh) * g.KW + kw];
                    int v = (weightsSigned ? (sbyte)raw : raw) - z;
                    if (v is < sbyte.MinValue or > sbyte.MaxValue) return null;
                    if (v != 0) nonzero++;
                    sums[k] += v;
                    var (h, l) = QKernelSplit<UnsignedA>.Split((sbyte)v);
                    high |= (byte)h << (8 * j);
                    low |= (byte)l << (8 * j);
                }
                long at = ((long)(k / 2) * quads.Length + q) * 4 + k % 2;
                words[at] = high;
                words[at + 2] = low;
            }
        }
        if (!force && nonzero <= FloatCarriedConvolution.IntegerDenseCrossover * g.K * g.GroupColRows) return null;
        var conv = new QDirectConvolution(g, kind, quads, words, sums, inputSigned, inputZero, output);
        return force || conv._imageWords <= MaxImageWords ? conv : null;
    }

    /// <summary>A short name for profiles.</summary>
    public string Describe() =>
        $"qconv-direct-u8s8({(_kind == QuadKind.Channels ? "channel" : _rowPlanes ? "column+row" : "column")} quads, {_output.Describe()})";

    /// <summary>Sets the activation zero point of the following runs.</summary>
    public void SetInputZero(int zero)
    {
        if (zero != _inputZero) SetBias(zero);
    }

    /// <summary>Padding holds the shifted zero point z_u, whose products z_u Σ w leave the sums through the bias.</summary>
    private void SetBias(int zero)
    {
        _inputZero = zero;
        int zu = QPack.VnniActivationZero(zero, _inputSigned);
        var bias = _output.MutableBias;
        for (int k = 0; k < _g.K; k++) bias[k] = unchecked(_baseBias[k] - zu * _weightSums[k]);
    }

    /// <summary>y = stage(conv(x, w)): x [N,C,H,W] bytes, y [N,K,OH,OW] in the output stage's type, as bytes.</summary>
    public void Forward(ReadOnlySpan<byte> x, Span<byte> y, WorkerPool? pool)
    {
        var g = _g;
        if (g.N == 0 || g.OutPlane == 0) return;
        int threads = pool?.Threads ?? 1;
        long work = (long)g.N * g.K * g.OutPlane * _quads;
        fixed (byte* px = x, py = y)
        {
            _x = px;
            _y = py;
            if (threads == 1 || g.N >= 2 * threads) _imageBody.For(pool, g.N, work);
            else
            {
                // Few images: lower them all first, then split each image's output channels between the threads.
                if (_shared.Length < g.N * _imageWords) _shared = GC.AllocateArray<int>((int)(g.N * _imageWords), pinned: true);
                fixed (int* shared = _shared)
                {
                    _sharedPtr = shared;
                    _lowerBody.For(pool, g.N, g.N * _imageWords);
                    _chunks = Math.Min(_pairs, (4 * threads + g.N - 1) / g.N);
                    _chunkBody.For(pool, g.N * _chunks, work);
                    _sharedPtr = null;
                }
            }
            _x = _y = null;
        }
        GC.KeepAlive(_output);
    }

    /// <summary>Image n whole: lowered into this thread's quad planes, then every output channel.</summary>
    private void ImageTask(int n)
    {
        if (t_quads is null || t_quads.Length < _imageWords + 16) t_quads = GC.AllocateArray<int>((int)_imageWords + 16, pinned: true);
        fixed (int* quads = t_quads)
        {
            LowerImage(n, quads);
            Outputs(n, quads, 0, _pairs);
        }
    }

    /// <summary>Chunk i of the few-images mode: one image's share of the output channel pairs.</summary>
    private void ChunkTask(int i)
    {
        int n = i / _chunks, c = i % _chunks;
        Outputs(n, _sharedPtr + n * _imageWords, (int)((long)_pairs * c / _chunks), (int)((long)_pairs * (c + 1) / _chunks));
    }

    /// <summary>Image n as quad planes at <paramref name="dst"/>, through this thread's padded byte planes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LowerImage(int n, int* dst)
    {
        var g = _g;
        int zu = QPack.VnniActivationZero(_inputZero, _inputSigned);
        // One extra padded row of zero points stands in for the channels past the last in channel quads.
        long planeBytes = (long)(_hp + 3) * _wr, bytes = (g.C + 1) * planeBytes + 64;
        if (t_padded is null || t_padded.Length < bytes) t_padded = GC.AllocateArray<byte>((int)bytes, pinned: true);
        fixed (byte* padded = t_padded)
        {
            new Span<byte>(padded, (int)bytes).Fill((byte)zu);
            byte* src = _x + (long)n * g.C * g.InPlane;
            for (int c = 0; c < g.C; c++)
                for (int h = 0; h < g.H; h++)
                    CopyRow(src + ((long)c * g.H + h) * g.W, padded + c * planeBytes + (long)(h + g.PadTop) * _wr + g.PadLeft, g.W, _inputSigned);
            if (_kind == QuadKind.Channels)
            {
                byte* none = padded + g.C * planeBytes;
                for (int p = 0; p < _planeCount; p++)
                {
                    byte* r0 = padded + 4 * p * planeBytes;
                    byte* r1 = 4 * p + 1 < g.C ? r0 + planeBytes : none;
                    byte* r2 = 4 * p + 2 < g.C ? r0 + 2 * planeBytes : none;
                    byte* r3 = 4 * p + 3 < g.C ? r0 + 3 * planeBytes : none;
                    for (int h = 0; h < _hp; h++)
                    {
                        long at = (long)h * _wr;
                        QPack.InterleaveQuads(r0 + at, r1 + at, r2 + at, r3 + at, _wq, dst + ((long)p * _hp + h) * _wq);
                    }
                }
            }
            else
                for (int c = 0; c < g.C; c++)
                    for (int h = 0; h < _hp; h++)
                    {
                        byte* row = padded + c * planeBytes + (long)h * _wr;
                        int* d = dst + ((long)c * _hp + h) * _wq;
                        for (int j = 0; j < _wq; j++) d[j] = Unsafe.ReadUnaligned<int>(row + j);
                        // Row quads: this row and the three below it (the padded planes keep three spare rows).
                        if (_rowPlanes) QPack.InterleaveQuads(row, row + _wr, row + 2 * _wr, row + 3 * _wr, _wq, dst + ((long)(g.C + c) * _hp + h) * _wq);
                    }
        }
    }

    /// <summary>dst[i] = src[i] as the unsigned bytes the kernel multiplies (int8 shifted by +128).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CopyRow(byte* src, byte* dst, int count, bool signed)
    {
        if (!signed)
        {
            Buffer.MemoryCopy(src, dst, count, count);
            return;
        }
        int i = 0;
        var flip = Vector256.Create((byte)0x80);
        for (; i + 32 <= count; i += 32) Vector256.Store(Vector256.Load(src + i) ^ flip, dst + i);
        for (; i < count; i++) dst[i] = (byte)(src[i] ^ 0x80);
    }

    /// <summary>
    /// Output channel pairs [b0, b1) of image n from its quad planes: each pair's sums fill a thread-local plane of
    /// rows rounded up to whole vectors, which then goes through the output stage a channel at a time.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Outputs(int n, int* quads, int b0, int b1)
    {
        var g = _g;
        int oh = g.OH, ow = g.OW, owv = (ow + Lanes - 1) / Lanes * Lanes, plane = g.OutPlane;
        nint pairPlane = (nint)oh * owv;
        var st = _output.Store(_y + (long)n * g.K * plane * _output.ElementSize, plane, channelsAreRows: true);
        int* sums = (int*)GemmScratch.Get(1, (int)(2 * pairPlane));
        fixed (int* off = _offsets, weights = _weights)
            for (int b = b0; b < b1; b++)
            {
                int* w = weights + (long)b * _quads * 4;
                for (int h = 0; h < oh; h += MaxRows)
                {
                    int rows = Math.Min(MaxRows, oh - h);
                    for (int c = 0; c < ow; c += Lanes)
                    {
                        int* x = quads + (long)h * _wq + c;
                        int* s = sums + (nint)h * owv + c;
                        if (rows == 2) Tile<R2>(x, _wq, off, w, _quads, s, owv, pairPlane);
                        else Tile<R1>(x, _wq, off, w, _quads, s, owv, pairPlane);
                    }
                }
                for (int o = 0; o < Math.Min(2, g.K - 2 * b); o++)
                {
                    int* s = sums + o * pairPlane;
                    if (owv == ow) st.FinishRow(s, 2 * b + o, 0, plane);
                    else
                        for (int r = 0; r < oh; r++) st.FinishRow(s + (nint)r * owv, 2 * b + o, r * ow, ow);
                }
            }
    }

    /// <summary>
    /// Sums of two output channels by <typeparamref name="TR"/> (1 or 2) rows of eight columns at <paramref name="x"/> (word
    /// offsets <paramref name="off"/> per quad, rows <paramref name="wq"/> words apart), stored as int32 at
    /// s + o <paramref name="outStride"/> + r <paramref name="rowStride"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Tile<TR>(int* x, nint wq, int* off, int* w, int quads, int* s, nint rowStride, nint outStride) where TR : struct, IRows
    {
        // A valid geometry has at least one quad, so the first widening below stores every sum.
        int* t = s + outStride;
        for (int q0 = 0; q0 < quads; q0 += Steps)
        {
            int end = Math.Min(quads, q0 + Steps);
            Vector256<short> h0 = default, h1 = default, l0 = default, l1 = default;
            Vector256<short> g0 = default, g1 = default, m0 = default, m1 = default;
            for (int q = q0; q < end; q++)
            {
                byte* p = (byte*)(x + off[q]);
                int* v = w + 4 * q;
                var x0 = Avx.LoadVector256(p);
                var x1 = TR.Value > 1 ? Avx.LoadVector256(p + 4 * wq) : default;
                var u = Vector256.Create(v[0]).AsSByte();
                h0 = Avx2.Add(h0, Avx2.MultiplyAddAdjacent(x0, u));
                if (TR.Value > 1) h1 = Avx2.Add(h1, Avx2.MultiplyAddAdjacent(x1, u));
                u = Vector256.Create(v[1]).AsSByte();
                g0 = Avx2.Add(g0, Avx2.MultiplyAddAdjacent(x0, u));
                if (TR.Value > 1) g1 = Avx2.Add(g1, Avx2.MultiplyAddAdjacent(x1, u));
                u = Vector256.Create(v[2]).AsSByte();
                l0 = Avx2.Add(l0, Avx2.MultiplyAddAdjacent(x0, u));
                if (TR.Value > 1) l1 = Avx2.Add(l1, Avx2.MultiplyAddAdjacent(x1, u));
                u = Vector256.Create(v[3]).AsSByte();
                m0 = Avx2.Add(m0, Avx2.MultiplyAddAdjacent(x0, u));
                if (TR.Value > 1) m1 = Avx2.Add(m1, Avx2.MultiplyAddAdjacent(x1, u));
            }
            bool first = q0 == 0;
            Widen(s, h0, l0, first);
            Widen(t, g0, m0, first);
            if (TR.Value > 1) { Widen(s + rowStride, h1, l1, first); Widen(t + rowStride, g1, m1, first); }
        }
    }

    /// <summary>s = 16 Σ h + Σ l (the first widening of a tile) or s += it, pairs of int16 widened to int32.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Widen(int* s, Vector256<short> h, Vector256<short> l, bool first)
    {
        var t = Avx2.Add(Avx2.MultiplyAddAdjacent(h, Vector256.Create((short)16)), Avx2.MultiplyAddAdjacent(l, Vector256.Create((short)1)));
        Avx.Store(s, first ? t : Avx2.Add(Avx.LoadVector256(s), t));
    }
}
