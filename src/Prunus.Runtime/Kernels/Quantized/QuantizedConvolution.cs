using System.Runtime.CompilerServices;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// A 2-D integer convolution with constant weights: y[n, k] = stage(Σ (x - z_x)(w[k] - z_w[k])) over each window, x
/// 8-bit [N,C,H,W] with one zero point, w 8-bit [K,C/G,KH,KW] with a zero point per output channel (or one), y in the
/// output stage's type [N,K,OH,OW]. Runs as one integer GEMM per group and chunk of images: the weights are the A
/// operand, packed once here; the images are lowered (<see cref="QIm2Col"/>) straight into the B operand's words,
/// each image's columns padded to whole panels, and the output stage writes y in place, image by image (no staging
/// copy). Stride-1 convolutions (1x1 ones included) widen each image once into padded planes and build every word row
/// from contiguous runs of them; other strides lower tap by tap. Fixed shapes: one instance per plan.
/// </summary>
public sealed unsafe class QuantizedConvolution
{
    /// <summary>Words of lowered images per chunk: about L2-sized, so the GEMM still finds them cached.</summary>
    internal const int LoweringBudgetWords = 1 << 16;

    private readonly ConvGeometry _g;
    private readonly QIsa _isa;
    private readonly int _ldPix, _gw;
    private readonly bool _inputSigned;
    private int _inputZero;
    private readonly QPackedMatrix[] _packed;
    private readonly QuantizedOutput _output;
    private readonly int[] _lowered;
    private readonly ParallelBody _lowerBody, _padBody, _chunkBody;
    private int _taskChunk;
    private byte* _y;

    // Per-thread buffers of the image-parallel mode (a chunk's lowered words and padded planes), grown on demand.
    [ThreadStatic] private static int[]? t_lowered;
    [ThreadStatic] private static byte[]? t_planes;
    private readonly QuantizedSparseConvolution? _sparse;
    private readonly FloatCarriedConvolution? _carried;
    private readonly QDirectConvolution? _qdirect;
    private readonly QTap[] _taps;
    private readonly bool _direct;
    private readonly int _planeElements;
    // Stride 1: the chunk's images as padded planes (int16 or VNNI bytes), and a row of zeros (pad values) for absent taps.
    private readonly byte[] _planes = [];
    private readonly byte[] _zeros = [];

    // Operands of the current chunk, read by the lowering bodies.
    private byte* _x;
    private int* _dst;
    private byte* _planesPtr;
    private byte* _zerosPtr;
    private int _n0, _nc;

    /// <summary>The shapes.</summary>
    public ConvGeometry Geometry => _g;
    /// <summary>Images lowered per GEMM.</summary>
    public int Chunk { get; }
    /// <summary>The output stage as given.</summary>
    public QuantizedOutput Output { get; }

    /// <summary>A convolution for <paramref name="g"/>; <paramref name="weightZero"/> has 1 or K values.</summary>
    public QuantizedConvolution(ConvGeometry g, ReadOnlySpan<byte> w, bool weightsSigned, ReadOnlySpan<int> weightZero,
        bool inputSigned, int inputZero, QuantizedOutput output)
        : this(g, w, weightsSigned, weightZero, inputSigned, inputZero, output, null, allowSparse: true) { }

    /// <summary>As above on a given family (tests), optionally never sparse, optionally with the images per chunk forced.</summary>
    internal QuantizedConvolution(ConvGeometry g, ReadOnlySpan<byte> w, bool weightsSigned, ReadOnlySpan<int> weightZero,
        bool inputSigned, int inputZero, QuantizedOutput output, QIsa? isa, bool allowSparse, int? chunk = null)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(output);
        g.Validate();
        int gcr = g.GroupColRows;
        if (w.Length < (long)g.K * gcr) throw new ArgumentException($"the weights have {w.Length} values but {g} needs {(long)g.K * gcr}", nameof(w));
        if (weightZero.Length != 1 && weightZero.Length != g.K)
            throw new ArgumentException($"the weight zero points have {weightZero.Length} values; they must have 1 or {g.K}", nameof(weightZero));
        if (output.Channels != g.K) throw new ArgumentException($"the output stage has {output.Channels} channels but the convolution has {g.K}", nameof(output));
        if (g.PadTop < 0 || g.PadLeft < 0 || g.PadBottom < 0 || g.PadRight < 0) throw new ArgumentException($"negative pads are not supported: {g}");
        _g = g;
        Output = output;
        _inputSigned = inputSigned;
        _inputZero = inputZero;
        if (allowSparse && isa is null)
        {
            _qdirect = QDirectConvolution.Choose(g, w, weightsSigned, weightZero, inputSigned, inputZero, output);
            if (_qdirect is null || g.N >= FloatCarriedConvolution.OverDirectBatch)
            {
                _carried = FloatCarriedConvolution.Choose(g, w, weightsSigned, weightZero, inputSigned, inputZero, output);
                // Over the direct kernel only where the float kernel runs the weights as sparse.
                if (_qdirect is not null && _carried is not null && _carried.Density > 1 - SparseSelection.MinZeros) _carried = null;
                if (_carried is not null) _qdirect = null;
            }
            if (_qdirect is null && _carried is null) _sparse = QuantizedSparseConvolution.Choose(g, w, weightsSigned, weightZero, inputSigned, inputZero, output);
        }
        _isa = isa ?? QIsas.Best(QPack.FitsVnni(weightsSigned, weightZero));
        // Convolutions broadcast the weights: the split family would broadcast both halves (twice the broadcasts per
        // multiply), and measured slower than int16 pairs on LeNet-5's layers (N=64 conv2: 2.34 ms against 2.18).
        if (isa is null && _isa == QIsa.Split256) _isa = QIsa.Vector256;
        _gw = QPack.Groups(_isa, gcr);
        _ldPix = (g.OutPlane + 15) / 16 * 16;
        int n = Math.Max(g.N, 1);
        Chunk = (int)Math.Clamp(LoweringBudgetWords / Math.Max(1L, (long)g.Groups * _gw * _ldPix), 1, n);
        if (chunk is { } forced) Chunk = Math.Clamp(forced, 1, n);
        _lowerBody = new ParallelBody(wr => LowerWordRow(wr, _n0, _nc, _dst, _planesPtr));
        _padBody = new ParallelBody(item => PadPlane(item, _n0, _planesPtr));
        _chunkBody = new ParallelBody(ChunkTask);
        _taps = QTap.Table(g);
        _direct = g.StrideH == 1 && g.StrideW == 1;
        var (hp, wp) = QIm2Col.PaddedSize(g);
        _planeElements = hp * wp;
        _packed = [];
        _lowered = [];
        _output = output;
        if (_sparse is not null || _carried is not null || _qdirect is not null) return;

        _packed = new QPackedMatrix[g.Groups];
        var delta = new int[g.K];
        int zu = QPack.VnniActivationZero(inputZero, inputSigned);
        for (int grp = 0; grp < g.Groups; grp++)
        {
            var zeros = weightZero.Length == 1 ? weightZero : weightZero.Slice(grp * g.Kg, g.Kg);
            _packed[grp] = QPack.WeightsAsA(_isa, g.Kg, gcr, new QBytes(w.Slice(grp * g.Kg * gcr, g.Kg * gcr), weightsSigned, zeros), gcr);
            for (int o = 0; o < g.Kg; o++) delta[grp * g.Kg + o] = unchecked(-zu * _packed[grp].SignedSums[o]);
        }
        // VNNI activations are stored shifted to uint8 (padding included): Σ (x_u - z_u) w_s = Σ x_u w_s - z_u Σ w_s.
        if (_isa.Bytes()) _output = output.WithBiasAdded(delta);
        _lowered = GC.AllocateArray<int>(g.Groups * _gw * Chunk * _ldPix + 16, pinned: true);
        if (_direct)
        {
            int elem = _isa.Bytes() ? 1 : 2;
            _planes = GC.AllocateArray<byte>(Chunk * g.C * _planeElements * elem + 64, pinned: true);
            _zeros = GC.AllocateArray<byte>((g.OW + 32) * elem, pinned: true);
            if (_isa.Bytes()) _zeros.AsSpan().Fill((byte)QPack.VnniActivationZero(inputZero, inputSigned));
        }
    }

    /// <summary>Whether <see cref="Forward"/> writes the 2x2/stride-2 max pool of the output, [N,K,OH/2,OW/2].</summary>
    public bool Pooled { get; private set; }

    /// <summary>With <see cref="Pooled"/>, for kernels that cannot pool as they finish: the full output, and its pool.</summary>
    private byte[]? _unpooled;
    private QuantizedPooling? _pooling;

    /// <summary>
    /// Makes <see cref="Forward"/> write the 2x2/stride-2 max pool of the output (a MaxPool fused below the
    /// convolution; call before the first run). The float-carried kernel pools each image's float sums before the
    /// output stage, which then converts a quarter of the values: exact, because the stage is non-decreasing in the
    /// sum (positive multipliers, rounding and clamping), so the stage of a maximum is the maximum of the stages.
    /// The other kernels write the full output to scratch and pool the bytes.
    /// </summary>
    public void PoolMax2x2()
    {
        var g = _g;
        if (g.OH % 2 != 0 || g.OW % 2 != 0) throw new InvalidOperationException($"a 2x2/stride-2 max pool needs an even output height and width: {g}");
        if (Output.Kind is not (QuantizedOutputKind.UInt8 or QuantizedOutputKind.Int8))
            throw new InvalidOperationException($"a fused max pool needs a uint8 or int8 output, not {Output.Kind}");
        if (Pooled) return;
        Pooled = true;
        if (_carried is not null && _carried.PoolMax2x2()) return;
        _unpooled = GC.AllocateArray<byte>(Math.Max(1, g.N * g.K * g.OutPlane), pinned: true);
        _pooling = new QuantizedPooling(PoolGeometry(g), Output.Kind == QuantizedOutputKind.Int8);
    }

    /// <summary>The 2x2/stride-2 pool over the output planes of <paramref name="g"/>.</summary>
    private static ConvGeometry PoolGeometry(ConvGeometry g) => new()
    {
        N = g.N, C = g.K, H = g.OH, W = g.OW, K = g.K, Groups = g.K, KH = 2, KW = 2, StrideH = 2, StrideW = 2, OH = g.OH / 2, OW = g.OW / 2,
    };

    /// <summary>Sets the activation zero point of the following runs (a zero point known only at run time).</summary>
    public void SetInputZero(int zero)
    {
        if (zero == _inputZero) return;
        _inputZero = zero;
        _sparse?.SetInputZero(zero);
        _carried?.SetInputZero(zero);
        _qdirect?.SetInputZero(zero);
        if (!_isa.Bytes() || _packed.Length == 0) return;
        int zu = QPack.VnniActivationZero(zero, _inputSigned);
        _zeros.AsSpan().Fill((byte)zu);
        var bias = _output.MutableBias;
        for (int grp = 0; grp < _g.Groups; grp++)
            for (int o = 0; o < _g.Kg; o++)
            {
                int k = grp * _g.Kg + o;
                bias[k] = unchecked(Output.Bias[k] - zu * _packed[grp].SignedSums[o]);
            }
    }

    /// <summary>A short name for profiles, e.g. "qconv-im2col-avx2(chunk 6, u8)".</summary>
    public string Describe() => (_qdirect?.Describe() ?? _carried?.Describe() ?? _sparse?.Describe()
        ?? $"qconv-{(_g.IsPointwise ? "pointwise" : "im2col")}-{_isa.Name()}(chunk {Chunk}, {Output.Describe()})")
        + (!Pooled ? "" : _pooling is null ? "+maxpool2x2 on sums" : "+maxpool2x2");

    /// <summary>
    /// y = stage(conv(x, w)): x [N,C,H,W] bytes, y [N,K,OH,OW] in the output stage's type, as bytes; [N,K,OH/2,OW/2]
    /// when <see cref="Pooled"/>.
    /// </summary>
    public void Forward(ReadOnlySpan<byte> x, Span<byte> y, WorkerPool? pool)
    {
        var g = _g;
        long inSize = (long)g.N * g.C * g.InPlane, outSize = (long)g.N * g.K * g.OutPlane * Output.ElementSize / (Pooled ? 4 : 1);
        if (x.Length < inSize) throw new ArgumentException($"x has {x.Length} values but {g} needs {inSize}", nameof(x));
        if (y.Length < outSize) throw new ArgumentException($"y has {y.Length} bytes but {g}{(Pooled ? " pooled 2x2" : "")} needs {outSize}", nameof(y));
        if (g.N == 0 || g.OutPlane == 0) return;
        if (_pooling is null)
        {
            ForwardFull(x, y, pool);
            return;
        }
        ForwardFull(x, _unpooled, pool);
        _pooling.Forward(_unpooled, y, pool);
    }

    /// <summary>The convolution without a scratch pool (the float-carried kernel may still pool as it finishes).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ForwardFull(ReadOnlySpan<byte> x, Span<byte> y, WorkerPool? pool)
    {
        var g = _g;
        if (_qdirect is not null)
        {
            _qdirect.Forward(x, y, pool);
            return;
        }
        if (_carried is not null)
        {
            _carried.Forward(x, y, pool);
            return;
        }
        if (_sparse is not null)
        {
            _sparse.Forward(x, y, pool);
            return;
        }
        int threads = pool?.Threads ?? 1;
        fixed (byte* px = x, py = y, planes = _planes, zeros = _zeros)
        fixed (int* lowered = _lowered)
        {
            _x = px;
            _y = py;
            _zerosPtr = zeros;
            if (threads > 1 && g.N >= 2 * threads)
            {
                // Enough images: each task lowers and multiplies a chunk of its own, one parallel region in all.
                _taskChunk = Math.Min(Chunk, (g.N + 2 * threads - 1) / (2 * threads));
                pool!.For((g.N + _taskChunk - 1) / _taskChunk, _chunkBody);
            }
            else
            {
                _dst = lowered;
                _planesPtr = planes;
                for (int n0 = 0; n0 < g.N; n0 += Chunk)
                {
                    _n0 = n0;
                    _nc = Math.Min(Chunk, g.N - n0);
                    if (_direct) _padBody.For(pool, _nc * g.C, (long)_nc * g.C * _planeElements);
                    _lowerBody.For(pool, g.Groups * _gw, (long)g.ColRows * _nc * _ldPix);
                    Multiply(n0, _nc, lowered, pool);
                }
            }
            _x = _y = null;
            _dst = null;
            _planesPtr = _zerosPtr = null;
        }
        GC.KeepAlive(_packed);
        GC.KeepAlive(_output);
    }

    /// <summary>The GEMMs of images [n0, n0 + nc), lowered at <paramref name="lowered"/>, straight into y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Multiply(int n0, int nc, int* lowered, WorkerPool? pool)
    {
        var g = _g;
        int p = g.OutPlane, elem = Output.ElementSize, ld = nc * _ldPix;
        for (int grp = 0; grp < g.Groups; grp++)
        {
            var st = _output.Store(_y + ((long)n0 * g.K + grp * g.Kg) * p * elem, p, channelsAreRows: true);
            st.Bias += grp * g.Kg;
            st.Multiplier += grp * g.Kg;
            var args = new QGemmArgs
            {
                M = g.Kg, N = ld, Groups = _gw,
                PackedA = _packed[grp].Data,
                B = lowered + (nint)grp * _gw * ld, Ldb = ld,
                Store = st,
                SegCols = _ldPix, SegValid = p, SegStride = (nint)g.K * p,
            };
            QGemm.Run(_isa, args, pool);
        }
    }

    /// <summary>Task <paramref name="task"/> of the image-parallel mode: chunk [task · c, task · c + c) lowered into this thread's buffers and multiplied.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ChunkTask(int task)
    {
        var g = _g;
        int n0 = task * _taskChunk, nc = Math.Min(_taskChunk, g.N - n0);
        int words = g.Groups * _gw * nc * _ldPix + 16;
        if (t_lowered is null || t_lowered.Length < words) t_lowered = GC.AllocateArray<int>(words, pinned: true);
        int planeBytes = _direct ? nc * g.C * _planeElements * (_isa.Bytes() ? 1 : 2) + 64 : 1;
        if (t_planes is null || t_planes.Length < planeBytes) t_planes = GC.AllocateArray<byte>(planeBytes, pinned: true);
        fixed (int* lowered = t_lowered)
        fixed (byte* planes = t_planes)
        {
            if (_direct)
                for (int item = 0; item < nc * g.C; item++) PadPlane(item, n0, planes);
            for (int wr = 0; wr < g.Groups * _gw; wr++) LowerWordRow(wr, n0, nc, lowered, planes);
            Multiply(n0, nc, lowered, null);
        }
    }

    /// <summary>Plane <paramref name="item"/> = (image, channel) of the current chunk, widened and padded (stride 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void PadPlane(int item, int n0, byte* planes)
    {
        var g = _g;
        int t = item / g.C, c = item % g.C;
        byte* image = _x + (nint)(n0 + t) * g.C * g.InPlane;
        nint offset = (nint)t * g.C * _planeElements;
        if (_isa.Bytes())
            QIm2Col.PadBytes(g, image, _inputSigned, (byte)QPack.VnniActivationZero(_inputZero, _inputSigned), planes + offset, c, c + 1);
        else
            QIm2Col.PadPairs(g, image, _inputSigned, _inputZero, (short*)planes + offset, c, c + 1);
    }

    /// <summary>Word row <paramref name="wr"/> (group wr / gw, word wr % gw) of the current chunk, for every image in it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void LowerWordRow(int wr, int n0, int nc, int* lowered, byte* planes)
    {
        var g = _g;
        int grp = wr / _gw, q = wr % _gw, gcr = g.GroupColRows, ld = nc * _ldPix, p = g.OutPlane;
        int r0 = grp * gcr;
        int* dst = lowered + (nint)wr * ld;
        if (!_isa.Bytes())
        {
            int ra = r0 + 2 * q, rb = ra + 1;
            bool second = 2 * q + 1 < gcr;
            if (_direct)
            {
                for (int t = 0; t < nc; t++)
                    QIm2Col.RunPairs(g, (short*)planes + (nint)t * g.C * _planeElements, _taps[ra], _taps[second ? rb : ra], second,
                        (short*)_zerosPtr, dst + t * _ldPix);
                return;
            }
            short* t0 = (short*)GemmScratch.Get(1, p + 16);
            short* t1 = t0 + p + 16;
            if (!second) new Span<short>(t1, p).Clear();
            for (int t = 0; t < nc; t++)
            {
                byte* image = _x + (nint)(n0 + t) * g.C * g.InPlane;
                QIm2Col.RowPairs(g, image, _taps[ra], _inputSigned, _inputZero, t0);
                if (second) QIm2Col.RowPairs(g, image, _taps[rb], _inputSigned, _inputZero, t1);
                QPack.InterleavePairs(t0, t1, p, dst + t * _ldPix);
            }
            return;
        }
        int first = r0 + 4 * q, count = Math.Min(4, gcr - 4 * q);
        if (_direct)
        {
            for (int t = 0; t < nc; t++)
                QIm2Col.RunQuads(g, planes + (nint)t * g.C * _planeElements, _taps.AsSpan(first, count), count, _zerosPtr, dst + t * _ldPix);
            return;
        }
        byte* rows = (byte*)GemmScratch.Get(1, p + 16);
        byte pad = (byte)QPack.VnniActivationZero(_inputZero, _inputSigned);
        int stride = p + 16;
        for (int s = count; s < 4; s++) new Span<byte>(rows + s * stride, p).Fill(pad);
        for (int t = 0; t < nc; t++)
        {
            byte* image = _x + (nint)(n0 + t) * g.C * g.InPlane;
            for (int s = 0; s < count; s++) QIm2Col.RowBytes(g, image, _taps[first + s], _inputSigned, pad, rows + s * stride);
            QPack.InterleaveQuads(rows, rows + stride, rows + 2 * stride, rows + 3 * stride, p, dst + t * _ldPix);
        }
    }
}
