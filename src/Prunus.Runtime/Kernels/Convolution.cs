using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>How a <see cref="Convolution"/> computes.</summary>
public enum ConvolutionAlgorithm
{
    /// <summary>im2col over a chunk of images, then one GEMM per group (1x1/stride 1/no pad convolutions skip im2col).</summary>
    Lowered,
    /// <summary>Direct SIMD kernel for one input channel per group (depthwise).</summary>
    Depthwise,
}

/// <summary>
/// A 2-D convolution at fixed shapes that owns its workspaces: forward, and the gradients wrt input, weights and
/// bias. x [N,C,H,W], w [K,C/G,KH,KW], b [K], y [N,K,OH,OW]. The lowered path im2cols a chunk of nc images into
/// cols [C*KH*KW, nc*OH*OW] and multiplies W_g [K/G, C/G*KH*KW] by it: one large GEMM per group rather than one tiny
/// one per image. Chunks are sized to stay in cache at inference; training lowers the whole batch once so backward
/// reuses the forward's columns. A transposed convolution is this with forward and data-gradient swapped.
/// </summary>
public sealed class Convolution
{
    /// <summary>Cols floats per chunk at inference: about L2-sized, so im2col output is still cached when GEMM reads it.</summary>
    internal const int InferenceLoweringBudget = 1 << 18;
    /// <summary>Cols floats for the whole batch in training (lets backward reuse the forward's lowering).</summary>
    internal const int TrainingLoweringBudget = 1 << 22;
    /// <summary>Output plane size from which 1x1 convolutions multiply image by image, straight from x into y.</summary>
    internal const int PointwiseDirectPlane = 256;

    /// <summary>The shapes.</summary>
    public ConvGeometry Geometry { get; }
    /// <summary>The algorithm chosen for these shapes.</summary>
    public ConvolutionAlgorithm Algorithm { get; }
    /// <summary>Images lowered per GEMM.</summary>
    public int Chunk { get; }

    /// <summary>
    /// Activation applied to each block of output as it is finished (while it is still in cache), after the bias:
    /// y = act(conv(x, w) + b). Relu rides in the GEMM's epilogue; the others run over each image's (or channel's)
    /// planes right after they are written. Forward only: the fused form has no gradient and cannot accumulate.
    /// </summary>
    public FusedActivation Activation { get; init; }

    private readonly ConvGeometry _g;
    private readonly bool _skipLowering;
    private readonly bool _imagesAllowed;
    private float[][] _imageCols = [];
    private float[] _cols = [];
    private float[] _stage = [];
    private bool _colsHoldBatch;

    // Operands of the parallel bodies, set before each run (bodies are allocated once).
    private ReadOnlyMemory<float> _x, _w, _bias, _dy, _residual;
    private Memory<float> _y, _dx, _dw, _db;
    private int _n0, _nc, _parts;
    private bool _accumulate;
    private float[][] _scratch = [];
    private int[] _tapStarts = [];
    private float[][] _dscratch = [];
    private readonly ParallelBody _lowerBody, _addBackBody, _scatterBody, _gatherBody, _biasGradBody, _dwForwardBody, _dwBackwardBody, _imagesBody;

    /// <summary>A convolution for <paramref name="g"/>; <paramref name="training"/> keeps the lowered batch for backward.</summary>
    public Convolution(ConvGeometry g, bool training) : this(g, training, null) { }

    /// <summary>As above, with the images per lowering chunk forced (tests of the chunked paths; never image by image).</summary>
    internal Convolution(ConvGeometry g, bool training, int? chunk)
    {
        g.Validate();
        _g = Geometry = g;
        Algorithm = DepthwiseConvolution.Applies(g) ? ConvolutionAlgorithm.Depthwise : ConvolutionAlgorithm.Lowered;
        int n = Math.Max(g.N, 1);
        long perImage = Math.Max((long)g.ColRows * g.OutPlane, 1);
        if (Algorithm == ConvolutionAlgorithm.Depthwise) Chunk = n;
        else if (g.IsPointwise && g.OutPlane >= PointwiseDirectPlane) Chunk = 1;
        else if (training && n * perImage <= TrainingLoweringBudget) Chunk = n;
        else Chunk = (int)Math.Clamp(InferenceLoweringBudget / perImage, 1, n);
        if (chunk is { } forced && Algorithm == ConvolutionAlgorithm.Lowered) Chunk = Math.Clamp(forced, 1, n);
        _skipLowering = g.IsPointwise && Chunk == 1;
        _imagesAllowed = ImagesInParallelEnabled && !training && chunk is null && Chunk > 1
            && (long)g.ColRows * g.OutPlane <= ImageColumnsBudget;

        _lowerBody = new ParallelBody(r => Im2Col.Lower(_g, _x.Span, _n0, _nc, _cols, r, r + 1));
        _addBackBody = new ParallelBody(item => Im2Col.AddBack(_g, _cols, _n0, _nc, _dx.Span, item, item + 1));
        _scatterBody = new ParallelBody(Scatter);
        _gatherBody = new ParallelBody(Gather);
        _biasGradBody = new ParallelBody(BiasGradient);
        _dwForwardBody = new ParallelBody(DepthwiseForward);
        _dwBackwardBody = new ParallelBody(DepthwiseBackward);
        _imagesBody = new ParallelBody(ImagesForward);
    }

    /// <summary>A short name for profiles.</summary>
    public string Describe() => (Algorithm == ConvolutionAlgorithm.Depthwise ? "depthwise-direct"
        : _skipLowering ? "gemm-pointwise" : ImagesInParallel(null) ? (_g.IsPointwise ? "gemm-pointwise(images in parallel)" : "im2col-gemm(images in parallel)")
        : $"im2col-gemm(chunk {Chunk})") + (Activation.IsNone ? "" : "+" + Activation);

    private void EnsureLoweringBuffers()
    {
        if (_skipLowering || _cols.Length > 0) return;
        long ld = (long)Chunk * _g.OutPlane, cols = Math.Max(_g.ColRows * ld, 1), stage = Math.Max(_g.K * ld, 1);
        if (cols > Array.MaxLength || stage > Array.MaxLength)
            throw new InvalidOperationException($"convolution workspace of {cols} floats is too large for {_g}");
        _cols = new float[cols];
        _stage = Chunk > 1 ? new float[stage] : [];
    }

    private void EnsureScratch(WorkerPool? pool)
    {
        int threads = pool?.Threads ?? 1;
        if (_scratch.Length >= threads) return;
        int size = DepthwiseConvolution.ScratchSize(_g);
        _tapStarts = DepthwiseConvolution.TapStarts(_g);
        // Borders of a padded plane are never written, so they stay zero for the kernel's life.
        _scratch = Enumerable.Range(0, threads).Select(_ => new float[size]).ToArray();
        _dscratch = Enumerable.Range(0, threads).Select(_ => new float[size]).ToArray();
    }

    /// <summary>
    /// The fused form y = act(conv(x, w) + b + z), with <see cref="Activation"/> and a residual z of y's shape [N,K,OH,OW]
    /// added to each block of output before the activation (a skip connection); b and z may be empty.
    /// </summary>
    public void Forward(ReadOnlyMemory<float> x, ReadOnlyMemory<float> w, ReadOnlyMemory<float> b, ReadOnlyMemory<float> residual,
        Memory<float> y, WorkerPool? pool)
    {
        if (!residual.IsEmpty && residual.Length != (long)_g.N * _g.K * _g.OutPlane)
            throw new ArgumentException($"the residual has {residual.Length} values but the output has {(long)_g.N * _g.K * _g.OutPlane}", nameof(residual));
        _residual = residual;
        Forward(x, w, b, y, accumulate: false, pool);
        _residual = default;
    }

    /// <summary>y = conv(x, w) + b, or y += conv(x, w) + b when <paramref name="accumulate"/>; b may be empty.</summary>
    public void Forward(ReadOnlyMemory<float> x, ReadOnlyMemory<float> w, ReadOnlyMemory<float> b, Memory<float> y, bool accumulate, WorkerPool? pool)
    {
        var g = _g;
        _colsHoldBatch = false;
        if (accumulate && (!Activation.IsNone || !_residual.IsEmpty))
            throw new InvalidOperationException($"a convolution with a fused {Activation} or residual cannot accumulate into its output");
        if (g.N == 0 || g.OutPlane == 0) return;
        _x = x; _w = w; _bias = b; _y = y; _accumulate = accumulate;
        if (Algorithm == ConvolutionAlgorithm.Depthwise)
        {
            EnsureScratch(pool);
            _parts = Partitions(pool, g.N * g.C);
            _dwForwardBody.For(pool, _parts, (long)g.N * g.K * g.OutPlane * g.Taps);
            return;
        }

        if (ImagesInParallel(pool))
        {
            EnsureImageColumns(pool);
            _parts = Partitions(pool, g.N);
            _imagesBody.For(pool, _parts, (long)g.N * g.K * g.OutPlane * g.GroupColRows);
            return;
        }
        EnsureLoweringBuffers();
        int p = g.OutPlane, gcr = g.GroupColRows, kg = g.Kg;
        for (int n0 = 0; n0 < g.N; n0 += Chunk)
        {
            int nc = Math.Min(Chunk, g.N - n0), ld = nc * p;
            _n0 = n0; _nc = nc;
            ReadOnlySpan<float> cols;
            if (_skipLowering) cols = x.Span.Slice(n0 * g.C * p, g.C * p);
            else
            {
                _lowerBody.For(pool, g.ColRows, (long)g.ColRows * ld);
                cols = _cols;
            }
            if (nc == 1)
            {
                MultiplyImage(n0, cols, pool);
                continue;
            }
            var dst = _stage.AsSpan(0, g.K * ld);
            for (int grp = 0; grp < g.Groups; grp++)
                Gemm.Multiply(false, false, kg, ld, gcr, 1f, w.Span.Slice(grp * kg * gcr), gcr, cols.Slice(grp * gcr * ld), ld,
                    0f, dst.Slice(grp * kg * ld, kg * ld), ld, pool);
            _scatterBody.For(pool, g.K, (long)g.K * ld);
        }
        _colsHoldBatch = Chunk >= g.N && !_skipLowering;
    }

    /// <summary>
    /// Whether this run multiplies image by image with the images spread over the workers (each GEMM on one thread),
    /// rather than a chunk of images per GEMM spread over the workers. A chunk's product is staged [K, images x plane]
    /// and scattered back to [N, K, plane], a copy of the whole output that, with the lowering's copy of the input, took
    /// about a fifth of MobileNet's time at batch 64 (7x7 and 14x14 planes), more than its GEMMs gained from the wider
    /// product. Inference only (training keeps the whole batch lowered for backward), and only when every worker gets
    /// at least one image and an image's columns are small enough to stay in its core's cache.
    /// </summary>
    private bool ImagesInParallel(WorkerPool? pool) => _imagesAllowed && _g.N >= (pool?.Threads ?? 1);

    /// <summary>Whether new convolutions may run image by image (false: chunked lowering, for comparisons).</summary>
    internal static bool ImagesInParallelEnabled = Environment.GetEnvironmentVariable("PRUNUS_CONV_IMAGES") != "0";

    /// <summary>Largest lowered image (floats) that runs image by image: a quarter of a 512 KB L2.</summary>
    internal const int ImageColumnsBudget = 1 << 15;

    private void EnsureImageColumns(WorkerPool? pool)
    {
        int threads = pool?.Threads ?? 1;
        if (_skipLowering || _g.IsPointwise || _imageCols.Length >= threads) return;
        int size = Math.Max(_g.ColRows * _g.OutPlane, 1);
        _imageCols = Enumerable.Range(0, threads).Select(_ => new float[size]).ToArray();
    }

    // Forward of the images in partition `part`, each lowered into the partition's own columns and multiplied on this thread.
    private void ImagesForward(int part)
    {
        var g = _g;
        int begin = (int)((long)g.N * part / _parts), end = (int)((long)g.N * (part + 1) / _parts), p = g.OutPlane;
        var x = _x.Span;
        for (int n = begin; n < end; n++)
        {
            if (g.IsPointwise) MultiplyImage(n, x.Slice(n * g.C * p, g.C * p), null);
            else
            {
                var cols = _imageCols[part];
                Im2Col.Lower(g, x, n, 1, cols, 0, g.ColRows);
                MultiplyImage(n, cols, null);
            }
        }
    }

    /// <summary>
    /// Image n's output from its lowered columns [ColRows, OutPlane] (or, pointwise, the image itself), written straight
    /// into y: the bias (and a Relu) ride in the GEMM's last pass over the output; a residual is copied in first and
    /// accumulated onto (beta = 1); other activations run over the image's planes while they are in cache.
    /// </summary>
    private void MultiplyImage(int n, ReadOnlySpan<float> cols, WorkerPool? pool)
    {
        var g = _g;
        int p = g.OutPlane, gcr = g.GroupColRows, kg = g.Kg;
        var b = _bias.Span;
        var dst = _y.Span.Slice(n * g.K * p, g.K * p);
        bool epilogue = !_accumulate, relu = epilogue && Activation.IsRelu, residual = epilogue && !_residual.IsEmpty;
        for (int grp = 0; grp < g.Groups; grp++)
        {
            var fused = !epilogue ? GemmEpilogue.None
                : b.IsEmpty ? (relu ? GemmEpilogue.ReluOnly : GemmEpilogue.None)
                : GemmEpilogue.RowBias(b.Slice(grp * kg, kg), relu);
            var part = dst.Slice(grp * kg * p, kg * p);
            if (residual) _residual.Span.Slice(n * g.K * p + grp * kg * p, kg * p).CopyTo(part);
            Gemm.Multiply(false, false, kg, p, gcr, 1f, _w.Span.Slice(grp * kg * gcr), gcr, cols.Slice(grp * gcr * p), p,
                _accumulate || residual ? 1f : 0f, part, p, fused, pool);
            if (epilogue && !relu) Activation.Apply(part);
        }
        if (_accumulate && !b.IsEmpty)
            for (int k = 0; k < g.K; k++) ChannelMath.AddScalar(dst.Slice(k * p, p), b[k]);
    }

    /// <summary>
    /// Gradients from dy: dx += dL/dx, dw += dL/dw, db += dL/db for each that is not empty. Reuses the forward's
    /// lowering of x when it covered the whole batch and <paramref name="forwardInputUnchanged"/> (x is the one the
    /// last forward saw).
    /// </summary>
    public void Backward(ReadOnlyMemory<float> x, ReadOnlyMemory<float> w, ReadOnlyMemory<float> dy,
        Memory<float> dx, Memory<float> dw, Memory<float> db, bool forwardInputUnchanged, WorkerPool? pool)
    {
        var g = _g;
        bool reuse = forwardInputUnchanged && _colsHoldBatch;
        _colsHoldBatch = false;
        if (g.N == 0 || g.OutPlane == 0) return;
        _x = x; _w = w; _dy = dy; _dx = dx; _dw = dw; _db = db;
        if (!db.IsEmpty) _biasGradBody.For(pool, g.K, (long)g.N * g.K * g.OutPlane);
        if (dx.IsEmpty && dw.IsEmpty) return;
        if (Algorithm == ConvolutionAlgorithm.Depthwise)
        {
            EnsureScratch(pool);
            _parts = Partitions(pool, g.C);
            _dwBackwardBody.For(pool, _parts, (long)g.N * g.K * g.OutPlane * g.Taps);
            return;
        }

        EnsureLoweringBuffers();
        int p = g.OutPlane, gcr = g.GroupColRows, kg = g.Kg;
        for (int n0 = 0; n0 < g.N; n0 += Chunk)
        {
            int nc = Math.Min(Chunk, g.N - n0), ld = nc * p;
            _n0 = n0; _nc = nc;
            ReadOnlySpan<float> dyc;
            if (nc == 1) dyc = dy.Span.Slice(n0 * g.K * p, g.K * p);
            else
            {
                _gatherBody.For(pool, g.K, (long)g.K * ld);
                dyc = _stage.AsSpan(0, g.K * ld);
            }
            if (!dw.IsEmpty)
            {
                ReadOnlySpan<float> cols;
                if (_skipLowering) cols = x.Span.Slice(n0 * g.C * p, g.C * p);
                else
                {
                    if (!reuse) _lowerBody.For(pool, g.ColRows, (long)g.ColRows * ld);
                    cols = _cols;
                }
                for (int grp = 0; grp < g.Groups; grp++)
                    Gemm.Multiply(false, true, kg, gcr, ld, 1f, dyc.Slice(grp * kg * ld), ld, cols.Slice(grp * gcr * ld), ld,
                        1f, dw.Span.Slice(grp * kg * gcr), gcr, pool);
            }
            if (!dx.IsEmpty)
            {
                if (_skipLowering)
                {
                    var dxn = dx.Span.Slice(n0 * g.C * p, g.C * p);
                    for (int grp = 0; grp < g.Groups; grp++)
                        Gemm.Multiply(true, false, gcr, ld, kg, 1f, w.Span.Slice(grp * kg * gcr), gcr, dyc.Slice(grp * kg * ld), ld,
                            1f, dxn.Slice(grp * gcr * ld), ld, pool);
                }
                else
                {
                    for (int grp = 0; grp < g.Groups; grp++)
                        Gemm.Multiply(true, false, gcr, ld, kg, 1f, w.Span.Slice(grp * kg * gcr), gcr, dyc.Slice(grp * kg * ld), ld,
                            0f, _cols.AsSpan(grp * gcr * ld, gcr * ld), ld, pool);
                    _addBackBody.For(pool, g.C * nc, (long)g.ColRows * ld);
                }
            }
        }
    }

    private static int Partitions(WorkerPool? pool, int items) => Math.Max(1, Math.Min(pool?.Threads ?? 1, items));

    // stage [K, nc*P] -> y[n0+t, k] (+ bias), for output channel k.
    private void Scatter(int k)
    {
        var g = _g;
        int p = g.OutPlane, ld = _nc * p;
        var src = _stage.AsSpan(k * ld, ld);
        var y = _y.Span;
        float bias = _bias.IsEmpty ? 0 : _bias.Span[k];
        for (int t = 0; t < _nc; t++)
        {
            var dst = y.Slice(((_n0 + t) * g.K + k) * p, p);
            if (_accumulate) { ChannelMath.AddInPlace(dst, src.Slice(t * p, p)); if (bias != 0) ChannelMath.AddScalar(dst, bias); }
            else
            {
                ChannelMath.Affine(src.Slice(t * p, p), 1, bias, dst);
                if (!_residual.IsEmpty) ChannelMath.AddInPlace(dst, _residual.Span.Slice(((_n0 + t) * g.K + k) * p, p));
                Activation.Apply(dst);
            }
        }
    }

    // dy[n0+t, k] -> stage [K, nc*P], for output channel k.
    private void Gather(int k)
    {
        var g = _g;
        int p = g.OutPlane, ld = _nc * p;
        var dst = _stage.AsSpan(k * ld, ld);
        var dy = _dy.Span;
        for (int t = 0; t < _nc; t++) dy.Slice(((_n0 + t) * g.K + k) * p, p).CopyTo(dst.Slice(t * p, p));
    }

    // db[k] += Σ_n Σ_p dy[n, k, p].
    private void BiasGradient(int k)
    {
        var g = _g;
        int p = g.OutPlane;
        var dy = _dy.Span;
        double s = 0;
        for (int n = 0; n < g.N; n++) s += ChannelMath.Sum(dy.Slice((n * g.K + k) * p, p));
        _db.Span[k] += (float)s;
    }

    // Forward of the planes (n, c) in partition `part`: each input plane feeds its M = K/C output planes.
    private void DepthwiseForward(int part)
    {
        var g = _g;
        int planes = g.N * g.C;
        int begin = (int)((long)planes * part / _parts), end = (int)((long)planes * (part + 1) / _parts);
        var scratch = _scratch[part];
        int m = g.Kg, q = g.OutPlane * m;
        var x = _x.Span; var w = _w.Span; var y = _y.Span; var b = _bias.Span;
        for (int plane = begin; plane < end; plane++)
        {
            int n = plane / g.C, c = plane % g.C;
            DepthwiseConvolution.Pad(g, x.Slice(plane * g.InPlane, g.InPlane), scratch);
            var yc = y.Slice((n * g.K + c * m) * g.OutPlane, q);
            DepthwiseConvolution.Forward(g, _tapStarts, scratch, w.Slice(c * m * g.Taps, m * g.Taps), b.IsEmpty ? b : b.Slice(c * m, m), yc, _accumulate);
            if (!_residual.IsEmpty) ChannelMath.AddInPlace(yc, _residual.Span.Slice((n * g.K + c * m) * g.OutPlane, q));
            Activation.Apply(yc);
        }
    }

    // Gradients of the channels c in partition `part`, over every image (dw[c] is summed in a fixed order).
    private void DepthwiseBackward(int part)
    {
        var g = _g;
        int begin = (int)((long)g.C * part / _parts), end = (int)((long)g.C * (part + 1) / _parts);
        var scratch = _scratch[part];
        var dscratch = _dscratch[part];
        int m = g.Kg, q = g.OutPlane * m;
        var x = _x.Span; var w = _w.Span; var dy = _dy.Span; var dx = _dx.Span; var dw = _dw.Span;
        for (int c = begin; c < end; c++)
            for (int n = 0; n < g.N; n++)
            {
                var dyc = dy.Slice((n * g.K + c * m) * g.OutPlane, q);
                if (!dw.IsEmpty)
                {
                    DepthwiseConvolution.Pad(g, x.Slice((n * g.C + c) * g.InPlane, g.InPlane), scratch);
                    DepthwiseConvolution.BackwardWeights(g, scratch, dyc, dw.Slice(c * m * g.Taps, m * g.Taps));
                }
                if (!dx.IsEmpty)
                {
                    Array.Clear(dscratch);
                    DepthwiseConvolution.BackwardData(g, w.Slice(c * m * g.Taps, m * g.Taps), dyc, dscratch);
                    DepthwiseConvolution.UnpadAdd(g, dscratch, dx.Slice((n * g.C + c) * g.InPlane, g.InPlane));
                }
            }
    }
}
