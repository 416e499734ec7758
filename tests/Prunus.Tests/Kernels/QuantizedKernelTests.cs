using System.Runtime.InteropServices;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Prunus.Threading;

namespace Prunus.Tests.Kernels;

/// <summary>
/// The integer kernels against plain references, bit for bit: the tiled GEMM of every family the machine runs (the
/// VNNI layouts and kernels also through an AVX2 emulation of vpdpbusd, so they are exercised on machines without
/// VNNI), the batch-1 GEMV, the lowering and the convolution, with int8 and uint8 operands, per-tensor and
/// per-channel zero points, every output kind, fused clamps, and one or two threads.
/// </summary>
[Trait("Category", "Kernel")]
public unsafe class QuantizedKernelTests
{
    private static readonly WorkerPool Two = new(2);

    /// <summary>The families this machine can run (the emulated VNNI one needs AVX2), by name (QIsa is internal).</summary>
    internal static IEnumerable<string> Families() =>
        new[] { QIsa.Vector128, QIsa.Vector256, QIsa.Vnni256, QIsa.Vnni256Emulated, QIsa.Split256 }.Where(i => i.Runs()).Select(i => i.ToString());

    private static QIsa Isa(string name) => Enum.Parse<QIsa>(name);

    internal static byte[] Bytes(int seed, int n)
    {
        var rng = new Random(seed);
        var a = new byte[n];
        rng.NextBytes(a);
        return a;
    }

    /// <summary>Weight zero points a family accepts: any for pairs, 0 (int8) or 128 (uint8) for VNNI.</summary>
    private static int[] WeightZeros(QIsa isa, bool signed, int channels, bool perChannel, int seed)
    {
        var rng = new Random(seed);
        var z = new int[perChannel ? channels : 1];
        for (int i = 0; i < z.Length; i++)
            z[i] = isa.Bytes() ? (signed ? 0 : 128) : signed ? rng.Next(-128, 128) : rng.Next(0, 256);
        return z;
    }

    private static QuantizedOutput Stage(QuantizedOutputKind kind, int channels, int seed, bool relu, int k)
    {
        var rng = new Random(seed);
        // Multipliers of the size a real layer has (about 1 / (K * 128)), so that outputs spread over the byte range.
        var mul = Enumerable.Range(0, channels).Select(_ => (float)(rng.NextDouble() * 4 + 0.5) / (Math.Max(k, 1) * 64f)).ToArray();
        var bias = Enumerable.Range(0, channels).Select(_ => rng.Next(-20000, 20000)).ToArray();
        return kind switch
        {
            QuantizedOutputKind.UInt8 => QuantizedOutput.Quantized(DataType.UInt8, channels, mul, bias, 120, relu ? 120 : null),
            QuantizedOutputKind.Int8 => QuantizedOutput.Quantized(DataType.Int8, channels, mul, bias, -3, relu ? -3 : null, relu ? 100 : null),
            QuantizedOutputKind.Float32 => QuantizedOutput.Float(channels, mul, bias, relu ? 0 : float.NegativeInfinity),
            _ => QuantizedOutput.Dequantized(DataType.UInt8, channels, mul, bias, 7, 0.25f, relu ? 7 : null),
        };
    }

    /// <summary>Element <paramref name="i"/> of an output buffer of <paramref name="kind"/>.</summary>
    private static double Read(QuantizedOutputKind kind, byte[] y, int i) => kind switch
    {
        QuantizedOutputKind.UInt8 => y[i],
        QuantizedOutputKind.Int8 => (sbyte)y[i],
        _ => MemoryMarshal.Cast<byte, float>(y)[i],
    };

    private static void Expect(QuantizedOutput stage, int[] acc, int rows, int cols, bool channelsAreRows, byte[] y, int ldy, string what)
    {
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < cols; j++)
            {
                double e = stage.Reference(acc[i * cols + j], channelsAreRows ? i : j);
                double a = Read(stage.Kind, y, i * ldy + j);
                Assert.True(e == a, $"{what} [{i},{j}]: expected {e}, got {a} (acc {acc[i * cols + j]})");
            }
    }

    // ---- output stage ----

    [Theory]
    [InlineData(5, 12.0)]   // 2.5 -> 2
    [InlineData(7, 14.0)]   // 3.5 -> 4
    [InlineData(-5, 8.0)]   // -2.5 -> -2
    [InlineData(-7, 6.0)]   // -3.5 -> -4
    [InlineData(1000, 255.0)]
    [InlineData(-1000, 0.0)]
    public void Output_stage_reference_values(int acc, double expected)
    {
        var s = QuantizedOutput.Quantized(DataType.UInt8, 1, [0.5f], [0], 10);
        Assert.Equal(expected, s.Reference(acc, 0));
    }

    [Fact]
    public void Output_stage_clamps_relu_and_clip_in_the_quantized_domain()
    {
        var relu = QuantizedOutput.Quantized(DataType.Int8, 1, [1f], [0], -5, min: -5);
        Assert.Equal(-5.0, relu.Reference(-20, 0));
        Assert.Equal(5.0, relu.Reference(10, 0));
        var clip = QuantizedOutput.Quantized(DataType.Int8, 1, [1f], [3], 0, min: -10, max: 20);
        Assert.Equal(20.0, clip.Reference(50, 0));
        Assert.Equal(-10.0, clip.Reference(-50, 0));
        Assert.Equal(-125.0, QuantizedOutput.Quantized(DataType.Int8, 1, [1f], [0], 0).Reference(-125, 0));
        Assert.Equal(-128.0, QuantizedOutput.Quantized(DataType.Int8, 1, [1f], [0], 0).Reference(-1000, 0));
        var grid = QuantizedOutput.Dequantized(DataType.UInt8, 1, [0.5f], [0], 100, 0.1f);
        Assert.Equal(MathF.Round(2.5f) * 0.1f, (float)grid.Reference(5, 0));
        Assert.Equal(-100 * 0.1f, (float)grid.Reference(-1000, 0));
    }

    /// <summary>
    /// The vector byte stage of whole channel rows (32 outputs per step, then 16, then 8 and scalars), from int32 sums
    /// row by row and from exact float sums an image at a time, against the scalar reference: sums spread over the whole output range and beyond
    /// it both ways, with and without a fused Relu, uint8 and int8.
    /// </summary>
    [Theory]
    [InlineData(QuantizedOutputKind.UInt8, false)]
    [InlineData(QuantizedOutputKind.UInt8, true)]
    [InlineData(QuantizedOutputKind.Int8, false)]
    [InlineData(QuantizedOutputKind.Int8, true)]
    public void Byte_stage_rows_match_reference(QuantizedOutputKind kind, bool relu)
    {
        if (!QVector256.Supported) return;
        const int rows = 3;
        foreach (int cols in new[] { 1, 15, 16, 32, 33, 47, 64, 100 })
        {
            var stage = Stage(kind, rows, cols, relu, 64);
            var rng = new Random(cols);
            // Multipliers near 1 / (64 * 64): sums of +-2^18 reach past both ends of the byte range.
            var acc = Enumerable.Range(0, rows * cols).Select(_ => rng.Next(-(1 << 18), 1 << 18)).ToArray();
            var sums = acc.Select(a => (float)a).ToArray();
            var fromInts = new byte[rows * cols];
            var fromFloats = new byte[rows * cols];
            var scratch = new int[cols + 16];
            fixed (byte* pi = fromInts, pf = fromFloats)
            fixed (int* pa = acc, ps = scratch)
            fixed (float* psum = sums)
            {
                var si = stage.Store(pi, cols, channelsAreRows: true);
                for (int r = 0; r < rows; r++) si.FinishRow(pa + r * cols, r, 0, cols);
                FloatCarry.FinishImageDirect(psum, rows, cols, ps, stage.Store(pf, cols, channelsAreRows: true));
            }
            Expect(stage, acc, rows, cols, true, fromInts, cols, $"{kind} relu={relu} cols={cols} from int32");
            Expect(stage, acc, rows, cols, true, fromFloats, cols, $"{kind} relu={relu} cols={cols} from float");
        }
    }

    // ---- packing helpers ----

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Interleaving_matches_scalar(int n)
    {
        var r = Bytes(n + 5, 4 * n + 64);
        var s0 = new short[n + 16];
        var s1 = new short[n + 16];
        for (int j = 0; j < n; j++) { s0[j] = (short)(r[j] * 3 - 300); s1[j] = (short)(r[n + j] - 128); }
        var pairs = new int[n + 1];
        var quads = new int[n + 1];
        fixed (short* p0 = s0, p1 = s1)
        fixed (int* pp = pairs, pq = quads)
        fixed (byte* pr = r)
        {
            QPack.InterleavePairs(p0, p1, n, pp);
            QPack.InterleaveQuads(pr, pr + n, pr + 2 * n, pr + 3 * n, n, pq);
        }
        for (int j = 0; j < n; j++)
        {
            Assert.Equal(QPack.Pair(s0[j], s1[j]), pairs[j]);
            Assert.Equal(r[j] | r[n + j] << 8 | r[2 * n + j] << 16 | r[3 * n + j] << 24, quads[j]);
        }
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Activation_rows_match_scalar(int k)
    {
        var x = Bytes(k + 11, k + 32);
        foreach (bool signed in new[] { false, true })
        {
            var pairs = new short[k + 2];
            var quads = new byte[k + 4];
            fixed (byte* px = x)
            fixed (short* pp = pairs)
            fixed (byte* pq = quads)
            {
                QPack.ActivationPairs(px, k, signed, signed ? -7 : 130, pp);
                QPack.ActivationQuads(px, k, signed, pq);
            }
            for (int t = 0; t < k; t++)
            {
                Assert.Equal((signed ? (sbyte)x[t] : x[t]) - (signed ? -7 : 130), pairs[t]);
                Assert.Equal(QPack.VnniActivation(x[t], signed), quads[t]);
            }
            if ((k & 1) != 0) Assert.Equal(0, pairs[k]);
            for (int t = k; t % 4 != 0; t++) Assert.Equal(0, quads[t]);
        }
    }

    // ---- GEMM ----

    public static TheoryData<string, int, int, int> ShapeData()
    {
        var d = new TheoryData<string, int, int, int>();
        foreach (var isa in Families())
        {
            foreach (int s in TensorAssert.Sizes)
            {
                d.Add(isa, s, 5, 9);
                d.Add(isa, 3, s, 7);
                d.Add(isa, 7, 17, s);
            }
            d.Add(isa, 13, 33, 29);
            d.Add(isa, 64, 120, 400);
            d.Add(isa, 150, 19, 3);
        }
        return d;
    }

    /// <summary>
    /// Dense layer form: A = activations [M, K] (widened at run time), B = constant weights packed as NR-column
    /// panels, channels along C's columns; every operand signedness, zero-point form and output kind.
    /// </summary>
    [Theory]
    [MemberData(nameof(ShapeData))]
    public void Gemm_with_packed_weights_matches_reference(string family, int m, int n, int k)
    {
        var isa = Isa(family);
        int seed = m * 7919 + n * 31 + k;
        int variant = 0;
        foreach (bool aSigned in new[] { false, true })
            foreach (bool wSigned in new[] { true, false })
                foreach (var kind in Enum.GetValues<QuantizedOutputKind>())
                {
                    variant++;
                    bool perChannel = variant % 2 == 0, transB = variant % 3 == 0, relu = variant % 4 == 1;
                    var x = Bytes(seed + variant, m * k);
                    var w = Bytes(seed + 100 + variant, k * n);
                    int za = aSigned ? -11 : 133;
                    var zw = WeightZeros(isa, wSigned, n, perChannel, seed + variant);
                    var stage = Stage(kind, n, seed + variant, relu, k);
                    var acc = QGemm.Reference(m, n, k, new QBytes(x, aSigned, [za]), k, new QBytes(w, wSigned, zw), transB ? k : n, transB);

                    int groups = QPack.Groups(isa, k);
                    var packed = QPack.WeightsAsB(isa, k, n, new QBytes(w, wSigned, zw), transB ? k : n, transB);
                    var effective = stage;
                    if (isa.Bytes())
                    {
                        int zu = QPack.VnniActivationZero(za, aSigned);
                        effective = stage.WithBiasAdded(packed.SignedSums.ToArray().Select(s => -zu * s).ToArray());
                    }
                    var words = new int[Math.Max(1, m) * groups + 16];
                    var y = new byte[Math.Max(1, m * n * stage.ElementSize)];
                    foreach (var pool in new[] { null, Two })
                    {
                        Array.Clear(y);
                        fixed (byte* px = x, py = y)
                        fixed (int* pw = words)
                        {
                            QPack.ActivationRows(isa, px, k, m, k, aSigned, za, pw, groups);
                            var args = new QGemmArgs
                            {
                                M = m, N = n, Groups = groups, A = pw, Lda = groups, PackedB = packed.Data,
                                Store = effective.Store(py, n, channelsAreRows: false),
                            };
                            args.OneSegment();
                            QGemm.Run(isa, args, pool);
                        }
                        Expect(stage, acc, m, n, false, y, n, $"{isa} {m}x{n}x{k} a{(aSigned ? "s" : "u")} w{(wSigned ? "s" : "u")} {kind} pool {pool?.Threads ?? 1}");
                    }
                }
    }

    /// <summary>
    /// Convolution form: A = constant weights packed as MR-row panels, B = activation columns as a word matrix read in
    /// place or packed per panel, channels along C's rows, C written in segments with padded columns.
    /// </summary>
    [Theory]
    [MemberData(nameof(ShapeData))]
    public void Gemm_with_packed_rows_matches_reference(string family, int m, int n, int k)
    {
        var isa = Isa(family);
        int seed = m * 31 + n * 7 + k * 3 + 1;
        int variant = 0;
        foreach (bool aSigned in new[] { false, true })
            foreach (var kind in new[] { QuantizedOutputKind.UInt8, QuantizedOutputKind.Int8, QuantizedOutputKind.Float32, QuantizedOutputKind.Float32Dequantized })
            {
                variant++;
                bool wSigned = variant % 2 == 1, perChannel = variant % 3 != 0, relu = variant % 2 == 0;
                var w = Bytes(seed + variant, m * k);
                var x = Bytes(seed + 50 + variant, k * n);
                int zx = aSigned ? 5 : 77;
                var zw = WeightZeros(isa, wSigned, m, perChannel, seed + variant);
                var stage = Stage(kind, m, seed + variant, relu, k);
                // Reference: C[M, N] = W[M, K] X[K, N].
                var acc = QGemm.Reference(m, n, k, new QBytes(w, wSigned, zw), k, new QBytes(x, aSigned, [zx]), n, false);

                int groups = QPack.Groups(isa, k);
                var packed = QPack.WeightsAsA(isa, m, k, new QBytes(w, wSigned, zw), k);
                var effective = stage;
                if (isa.Bytes())
                {
                    int zu = QPack.VnniActivationZero(zx, aSigned);
                    effective = stage.WithBiasAdded(packed.SignedSums.ToArray().Select(s => -zu * s).ToArray());
                }
                // Columns in segments as a chunk of two images has them: `seg` valid columns each, padded to 16.
                int seg = Math.Max(1, n % 2 == 0 ? n / 2 : n), ldSeg = (seg + 15) / 16 * 16, segs = (n + seg - 1) / seg;
                int nPadded = Math.Max(1, segs) * ldSeg;
                var wordsB = new int[groups * nPadded + 16];
                var xPadded = new byte[k * nPadded];
                for (int t = 0; t < k; t++)
                    for (int j = 0; j < n; j++) xPadded[t * nPadded + j / seg * ldSeg + j % seg] = x[t * n + j];
                var scratch = new int[4 * nPadded + 64];
                var y = new byte[Math.Max(1, m * n * stage.ElementSize)];
                foreach (var pool in new[] { null, Two })
                {
                    Array.Clear(y);
                    fixed (byte* px = xPadded, py = y)
                    fixed (int* pw = wordsB, ps = scratch)
                    {
                        QPack.ActivationColumns(isa, px, nPadded, k, nPadded, aSigned, zx, pw, nPadded, ps);
                        // C holds segment s's rows at y + s * seg (row stride n): the images of a chunk side by side.
                        var args = new QGemmArgs
                        {
                            M = m, N = n == 0 ? 0 : nPadded, Groups = groups, PackedA = packed.Data, B = pw, Ldb = nPadded,
                            Store = effective.Store(py, n, channelsAreRows: true),
                            SegCols = ldSeg, SegValid = seg, SegStride = seg,
                        };
                        QGemm.Run(isa, args, pool);
                    }
                    Expect(stage, acc, m, n, true, y, n, $"{isa} rows {m}x{n}x{k} a{(aSigned ? "s" : "u")} {kind} pool {pool?.Threads ?? 1}");
                }
            }
    }

    // ---- layers ----

    public static TheoryData<string, int, int, int> LinearData()
    {
        var d = new TheoryData<string, int, int, int>();
        foreach (var isa in Families())
        {
            foreach (int s in TensorAssert.Sizes)
            {
                d.Add(isa, 1, s, 37);
                d.Add(isa, 1, 19, s);
            }
            d.Add(isa, 1, 300, 784);
            d.Add(isa, 2, 33, 65);
            d.Add(isa, 64, 84, 120);
        }
        return d;
    }

    /// <summary>The dense layer, batch 1 (GEMV: bytes widened on the fly, weight zero points corrected in the output stage) and above.</summary>
    [Theory]
    [MemberData(nameof(LinearData))]
    public void Linear_layer_matches_reference(string family, int m, int n, int k)
    {
        var isa = Isa(family);
        int seed = 17 * m + 3 * n + k;
        int variant = 0;
        foreach (bool aSigned in new[] { false, true })
            foreach (bool wSigned in new[] { true, false })
                foreach (var kind in Enum.GetValues<QuantizedOutputKind>())
                {
                    variant++;
                    bool perChannel = variant % 2 == 1, transB = variant % 3 == 1, relu = variant % 4 == 0;
                    var x = Bytes(seed + variant, m * k);
                    var w = Bytes(seed + 1000 + variant, k * n);
                    int za = aSigned ? 3 : 200;
                    var zw = WeightZeros(isa, wSigned, n, perChannel, seed + variant);
                    var stage = Stage(kind, n, seed + variant, relu, k);
                    var acc = QGemm.Reference(m, n, k, new QBytes(x, aSigned, [za]), k, new QBytes(w, wSigned, zw), transB ? k : n, transB);
                    var layer = new QuantizedLinear(m, k, n, w, wSigned, zw, transB, aSigned, za, stage, isa, allowSparse: false);
                    var y = new byte[Math.Max(1, m * n * stage.ElementSize)];
                    foreach (var pool in new[] { null, Two })
                    {
                        Array.Clear(y);
                        layer.Forward(x, y, pool);
                        Expect(stage, acc, m, n, false, y, n, $"{layer.Describe()} {m}x{n}x{k} a{(aSigned ? "s" : "u")} w{(wSigned ? "s" : "u")} zw {string.Join(",", zw.Take(3))} pool {pool?.Threads ?? 1}");
                    }
                }
    }

    /// <summary>Direct-loop reference of the integer convolution's sums: [N, K, OH*OW].</summary>
    internal static int[] ConvReference(ConvGeometry g, byte[] x, bool xSigned, int zx, byte[] w, bool wSigned, int[] zw)
    {
        var acc = new int[g.N * g.K * g.OutPlane];
        int gcr = g.GroupColRows;
        for (int n = 0; n < g.N; n++)
            for (int k = 0; k < g.K; k++)
            {
                int grp = k / g.Kg, z = zw.Length == 1 ? zw[0] : zw[k];
                for (int p = 0; p < g.OutPlane; p++)
                {
                    int s = 0;
                    for (int r = 0; r < gcr; r++)
                    {
                        int xv = QIm2Col.ReferenceValue(g, x.AsSpan((n * g.C + grp * g.Cg) * g.InPlane), r, p, xSigned, zx);
                        int wv = (wSigned ? (sbyte)w[k * gcr + r] : w[k * gcr + r]) - z;
                        s += xv * wv;
                    }
                    acc[(n * g.K + k) * g.OutPlane + p] = s;
                }
            }
        return acc;
    }

    private static ConvGeometry Geometry(int n, int c, int h, int w, int k, int groups, int kh, int kw, int stride, int pad, int dilation)
    {
        int oh = ConvGeometry.OutputSize(h, kh, stride, dilation, pad, pad), ow = ConvGeometry.OutputSize(w, kw, stride, dilation, pad, pad);
        return new ConvGeometry
        {
            N = n, C = c, H = h, W = w, K = k, Groups = groups, KH = kh, KW = kw, StrideH = stride, StrideW = stride,
            DilationH = dilation, DilationW = dilation, PadTop = pad, PadLeft = pad, PadBottom = pad, PadRight = pad, OH = oh, OW = ow,
        };
    }

    public static TheoryData<string, string> ConvData()
    {
        var d = new TheoryData<string, string>();
        foreach (var isa in Families())
            foreach (var name in ConvCases.Keys) d.Add(isa, name);
        return d;
    }

    private static readonly Dictionary<string, (ConvGeometry G, int? Chunk)> ConvCases = new()
    {
        ["lenet-conv1"] = (Geometry(2, 1, 28, 28, 6, 1, 5, 5, 1, 2, 1), null),
        ["lenet-conv2"] = (Geometry(3, 6, 14, 14, 16, 1, 5, 5, 1, 0, 1), 2),
        ["stride2-pad1"] = (Geometry(2, 5, 9, 11, 7, 1, 3, 3, 2, 1, 1), null),
        ["dilation2"] = (Geometry(1, 3, 8, 8, 4, 1, 3, 3, 1, 2, 2), null),
        ["groups2"] = (Geometry(3, 4, 6, 7, 6, 2, 3, 3, 1, 1, 1), 2),
        ["depthwise"] = (Geometry(2, 4, 5, 5, 4, 4, 3, 3, 1, 1, 1), 1),
        ["pointwise"] = (Geometry(2, 13, 7, 5, 9, 1, 1, 1, 1, 0, 1), null),
        ["one-dimensional"] = (Geometry(2, 3, 1, 17, 5, 1, 1, 3, 1, 0, 1) with { PadLeft = 1, PadRight = 1, OW = 17 }, null),
        ["empty-batch"] = (Geometry(0, 2, 5, 5, 3, 1, 3, 3, 1, 0, 1), null),
        ["chunks"] = (Geometry(7, 2, 6, 6, 3, 1, 3, 3, 1, 1, 1), 3),
        // Large enough for one image's channels to be split between threads.
        ["large-single"] = (Geometry(1, 16, 20, 20, 32, 1, 3, 3, 1, 1, 1), null),
    };

    /// <summary>The convolution (lowering, GEMM, output stage in place) against direct loops.</summary>
    [Theory]
    [MemberData(nameof(ConvData))]
    public void Convolution_matches_reference(string family, string name)
    {
        var isa = Isa(family);
        var (g, chunk) = ConvCases[name];
        int seed = name.Length * 101;
        int variant = 0;
        foreach (bool aSigned in new[] { false, true })
            foreach (var kind in Enum.GetValues<QuantizedOutputKind>())
            {
                variant++;
                bool wSigned = variant % 2 == 0, perChannel = variant % 3 != 2, relu = variant % 2 == 1;
                var x = Bytes(seed + variant, g.N * g.C * g.InPlane);
                var w = Bytes(seed + 7 + variant, g.K * g.GroupColRows);
                int zx = aSigned ? -20 : 90;
                var zw = WeightZeros(isa, wSigned, g.K, perChannel, seed + variant);
                var stage = Stage(kind, g.K, seed + variant, relu, g.GroupColRows);
                var acc = ConvReference(g, x, aSigned, zx, w, wSigned, zw);
                var conv = new QuantizedConvolution(g, w, wSigned, zw, aSigned, zx, stage, isa, allowSparse: false, chunk);
                var y = new byte[Math.Max(1, g.N * g.K * g.OutPlane * stage.ElementSize)];
                foreach (var pool in new[] { null, Two })
                {
                    Array.Clear(y);
                    conv.Forward(x, y, pool);
                    // Rows are (image, channel) pairs, columns pixels.
                    for (int n = 0; n < g.N; n++)
                        for (int k = 0; k < g.K; k++)
                            for (int p = 0; p < g.OutPlane; p++)
                            {
                                int i = (n * g.K + k) * g.OutPlane + p;
                                double e = stage.Reference(acc[i], k), a = Read(stage.Kind, y, i);
                                Assert.True(e == a, $"{conv.Describe()} {name} a{(aSigned ? "s" : "u")} w{(wSigned ? "s" : "u")} {kind} pool {pool?.Threads ?? 1} [{n},{k},{p}]: expected {e}, got {a}");
                            }
                }
            }
    }

    /// <summary>
    /// Where both the direct integer kernel and the float-carried sparse one apply (a LeNet-5 first layer at density
    /// 0.9), small batches take the direct kernel and batches of <see cref="FloatCarriedConvolution.OverDirectBatch"/>
    /// and more the float-carried one; a dense weight keeps the direct kernel at any batch.
    /// </summary>
    [Fact]
    public void First_layer_kernel_depends_on_batch_and_sparsity()
    {
        foreach (var (density, batch, expected) in new[] { (0.9, 1, "qconv-direct"), (0.9, 4, "qconv-direct"),
            (0.9, FloatCarriedConvolution.OverDirectBatch, "float-carried"), (1.0, 64, "qconv-direct") })
        {
            var g = Geometry(batch, 1, 28, 28, 20, 1, 5, 5, 1, 0, 1);
            var w = SparseBytes(3, g.K, g.GroupColRows, density, true, [0], true);
            var conv = new QuantizedConvolution(g, w, true, [0], false, 0, Stage(QuantizedOutputKind.UInt8, g.K, 1, false, g.GroupColRows));
            string describe = conv.Describe();
            // The direct kernel exists only without VNNI (it replaces the int16 pairs that VNNI makes unnecessary).
            if (batch == 1 && !describe.Contains("qconv-direct", StringComparison.Ordinal)) return;
            Assert.True(describe.Contains(expected, StringComparison.Ordinal), $"density {density} batch {batch}: {describe}");
        }
    }

    public static TheoryData<string> DirectConvData()
    {
        var d = new TheoryData<string>();
        foreach (var name in DirectQuads.Keys) d.Add(name);
        return d;
    }

    /// <summary>Direct-convolution cases and the quads each takes (the fewest words that cover the kernel).</summary>
    private static readonly Dictionary<string, string> DirectQuads = new()
    {
        ["lenet-conv1"] = "column+row", // 5x5 on one channel: 5 column quads, 1 row quad, 1 more column quad
        ["lenet-conv2"] = "column+row", // six channels: 42 quads against 50 channel quads
        ["dilation2"] = "channel",
        ["pointwise"] = "channel",
        ["one-dimensional"] = "channel",
        ["chunks"] = "column", // 3x3 on two channels: 6 column quads against 9
        ["large-single"] = "channel",
        ["tall-odd"] = "channel",
        ["wide-kernel"] = "column", // 3x4 on two channels: 6 column quads against 12
    };

    /// <summary>
    /// The direct integer convolution (quad planes, split weights) against direct loops: channel quads with a partial
    /// last quad, column quads (one channel), padding, dilation, rows of a partial vector, an odd output channel, both
    /// thread modes (one image per task, and few images split by output channels), and a changed input zero point.
    /// </summary>
    [Theory]
    [MemberData(nameof(DirectConvData))]
    public void Direct_convolution_matches_reference(string name)
    {
        var g = name switch
        {
            "tall-odd" => Geometry(3, 5, 13, 10, 7, 1, 3, 2, 1, 1, 1),
            "wide-kernel" => Geometry(2, 2, 9, 11, 5, 1, 3, 4, 1, 1, 1),
            _ => ConvCases[name].G,
        };
        if (!System.Runtime.Intrinsics.X86.Avx2.IsSupported)
        {
            // Without AVX2 (the suite's reruns with it switched off) there is no direct integer kernel to choose.
            var none = Stage(QuantizedOutputKind.UInt8, g.K, 1, false, g.GroupColRows);
            Assert.Null(QDirectConvolution.Choose(g, Bytes(1, g.K * g.GroupColRows), true, [0], false, 0, none, force: true));
            return;
        }
        int variant = 0;
        foreach (bool aSigned in new[] { false, true })
            foreach (var kind in new[] { QuantizedOutputKind.UInt8, QuantizedOutputKind.Int8, QuantizedOutputKind.Float32 })
            {
                variant++;
                bool wSigned = variant % 2 == 0;
                // Weight zero points that keep w - z within int8, per channel or one.
                var zw = WeightZeros(QIsa.Split256, wSigned, g.K, variant % 3 != 0, variant);
                var w = Bytes(name.Length + 11 * variant, g.K * g.GroupColRows);
                var x = Bytes(variant + 5, g.N * g.C * g.InPlane);
                int zx = aSigned ? -7 : 131;
                var stage = Stage(kind, g.K, variant, variant % 2 == 1, g.GroupColRows);
                var conv = QDirectConvolution.Choose(g, w, wSigned, zw, aSigned, zx, stage, force: true);
                Assert.NotNull(conv);
                Assert.Contains($"({DirectQuads[name]} quads", conv.Describe(), StringComparison.Ordinal);
                foreach (int zero in new[] { zx, zx + 3 })
                {
                    conv.SetInputZero(zero);
                    var acc = ConvReference(g, x, aSigned, zero, w, wSigned, zw);
                    var y = new byte[Math.Max(1, g.N * g.K * g.OutPlane * stage.ElementSize)];
                    foreach (var pool in new[] { null, Two })
                    {
                        Array.Clear(y);
                        conv.Forward(x, y, pool);
                        for (int i = 0; i < g.N * g.K * g.OutPlane; i++)
                        {
                            double e = stage.Reference(acc[i], i / g.OutPlane % g.K), a = Read(stage.Kind, y, i);
                            Assert.True(e == a, $"{conv.Describe()} {name} a{(aSigned ? "s" : "u")} w{(wSigned ? "s" : "u")} {kind} zero {zero} pool {pool?.Threads ?? 1} [{i}]: expected {e}, got {a}");
                        }
                    }
                }
            }
    }

    /// <summary>Weights whose value minus zero point leaves int8 (uint8 weights, zero point 0) cannot be split, so the direct form declines.</summary>
    [Fact]
    public void Direct_convolution_declines_weights_outside_int8()
    {
        var g = ConvCases["lenet-conv2"].G;
        var w = Bytes(3, g.K * g.GroupColRows);
        w[5] = 200;
        var stage = Stage(QuantizedOutputKind.UInt8, g.K, 1, false, g.GroupColRows);
        Assert.Null(QDirectConvolution.Choose(g, w, weightsSigned: false, [0], false, 0, stage, force: true));
    }

    [Fact]
    public void Lowered_rows_match_reference()
    {
        var g = Geometry(1, 3, 7, 9, 2, 1, 3, 3, 2, 1, 1);
        var x = Bytes(5, g.C * g.InPlane);
        var taps = QTap.Table(g);
        var row = new short[g.OutPlane];
        var bytes = new byte[g.OutPlane];
        for (int r = 0; r < g.ColRows; r++)
            foreach (bool signed in new[] { false, true })
            {
                fixed (byte* px = x, pb = bytes)
                fixed (short* pr = row)
                {
                    QIm2Col.RowPairs(g, px, taps[r], signed, 9, pr);
                    QIm2Col.RowBytes(g, px, taps[r], signed, (byte)QPack.VnniActivationZero(9, signed), pb);
                }
                for (int p = 0; p < g.OutPlane; p++)
                {
                    int e = QIm2Col.ReferenceValue(g, x, r, p, signed, 9);
                    Assert.Equal(e, row[p]);
                    Assert.Equal(e, bytes[p] - QPack.VnniActivationZero(9, signed));
                }
            }
    }

    /// <summary>Stride 1: word rows from runs of the padded planes against the reference values.</summary>
    [Theory]
    [InlineData(1, 28, 28, 5, 2, 1)]
    [InlineData(3, 12, 12, 5, 0, 1)]
    [InlineData(2, 7, 5, 3, 1, 2)]
    [InlineData(2, 1, 17, 1, 0, 1)]
    [InlineData(1, 3, 40, 3, 1, 1)]
    public void Runs_of_padded_planes_match_reference(int c, int h, int w, int k, int pad, int dilation)
    {
        var g = Geometry(1, c, h, w, 2, 1, k, k, 1, pad, dilation);
        var x = Bytes(c * h + w, g.C * g.InPlane);
        var taps = QTap.Table(g);
        var (hp, wp) = QIm2Col.PaddedSize(g);
        foreach (bool signed in new[] { false, true })
        {
            int zero = signed ? 4 : 131;
            var planes = new short[g.C * hp * wp];
            var bplanes = new byte[g.C * hp * wp];
            var zeros = new short[g.OW + 32];
            var bzeros = new byte[g.OW + 32];
            var words = new int[g.OutPlane];
            fixed (byte* px = x, pb = bplanes, pbz = bzeros)
            fixed (short* pp = planes, pz = zeros)
            fixed (int* pw = words)
            {
                QIm2Col.PadPairs(g, px, signed, zero, pp, 0, g.C);
                QIm2Col.PadBytes(g, px, signed, (byte)QPack.VnniActivationZero(zero, signed), pb, 0, g.C);
                for (int r = 0; r < g.ColRows; r += 2)
                {
                    bool second = r + 1 < g.ColRows;
                    QIm2Col.RunPairs(g, pp, taps[r], taps[second ? r + 1 : r], second, pz, pw);
                    for (int p = 0; p < g.OutPlane; p++)
                        Assert.Equal(QPack.Pair(QIm2Col.ReferenceValue(g, x, r, p, signed, zero), second ? QIm2Col.ReferenceValue(g, x, r + 1, p, signed, zero) : 0), words[p]);
                }
                for (int r = 0; r < g.ColRows; r += 4)
                {
                    int count = Math.Min(4, g.ColRows - r);
                    QIm2Col.RunQuads(g, pb, taps.AsSpan(r, count), count, pbz, pw);
                    for (int p = 0; p < g.OutPlane; p++)
                        for (int s = 0; s < count; s++)
                            Assert.Equal(QIm2Col.ReferenceValue(g, x, r + s, p, signed, zero) + QPack.VnniActivationZero(zero, signed), (words[p] >> (8 * s)) & 0xFF);
                }
            }
        }
    }

    public static TheoryData<int, int, int, int, int, int> PoolData()
    {
        var d = new TheoryData<int, int, int, int, int, int>();
        foreach (int w in TensorAssert.Sizes.Where(s => s > 0 && s < 300)) d.Add(2, w, w, 2, 2, 0);
        d.Add(3, 24, 24, 2, 2, 0);
        d.Add(2, 8, 8, 2, 2, 0);
        d.Add(2, 13, 12, 2, 2, 0);
        d.Add(2, 9, 13, 3, 2, 1);
        d.Add(1, 5, 6, 2, 1, 0);
        d.Add(2, 33, 40, 2, 2, 0);
        d.Add(1, 4, 4, 3, 3, 2);
        return d;
    }

    [Theory]
    [MemberData(nameof(PoolData))]
    public void Max_pooling_matches_reference(int c, int h, int w, int k, int stride, int pad)
    {
        var g = new ConvGeometry
        {
            N = 2, C = c, H = h, W = w, K = c, Groups = c, KH = k, KW = k, StrideH = stride, StrideW = stride,
            PadTop = pad, PadLeft = pad, PadBottom = pad, PadRight = pad,
            OH = ConvGeometry.OutputSize(h, k, stride, 1, pad, pad), OW = ConvGeometry.OutputSize(w, k, stride, 1, pad, pad),
        };
        var x = Bytes(h * w + c, g.N * g.C * g.InPlane);
        foreach (bool signed in new[] { false, true })
        {
            var expected = new byte[g.N * g.C * g.OutPlane];
            QuantizedPooling.Reference(g, x, expected, signed);
            foreach (var pool in new[] { null, Two })
            {
                var actual = new byte[expected.Length];
                new QuantizedPooling(g, signed).Forward(x, actual, pool);
                Assert.Equal(expected, actual);
            }
        }
    }

    /// <summary>The fused input quantization against the reference QuantizeLinear kernel, ties, NaN and infinities included.</summary>
    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Input_quantization_matches_reference(int n) => CheckInputQuantization(n);

    /// <summary>Large enough to be split between threads.</summary>
    [Fact]
    public void Input_quantization_in_parts_matches_reference() => CheckInputQuantization(40_003);

    private static void CheckInputQuantization(int n)
    {
        var rng = new Random(n + 3);
        var x = new float[n];
        for (int i = 0; i < n; i++)
            x[i] = (i % 11) switch
            {
                0 => float.NaN,
                1 => float.PositiveInfinity,
                2 => float.NegativeInfinity,
                3 => (i % 7 - 3) * 0.05f + 0.025f,   // ties at scale 0.05
                4 => 1e30f,
                _ => (float)(rng.NextDouble() * 20 - 10),
            };
        foreach (var (signed, zero) in new[] { (false, 0), (false, 131), (true, 0), (true, -17) })
        {
            var layout = QuantizationLayout.PerTensor(n);
            var expected = new byte[n];
            var actual = new byte[n];
            if (signed)
            {
                var e = new sbyte[n];
                LinearQuantization.QuantizeReference(layout, x, [0.05f], [(sbyte)zero], e, -128, 127);
                for (int i = 0; i < n; i++) expected[i] = (byte)e[i];
            }
            else LinearQuantization.QuantizeReference(layout, x, [0.05f], [(byte)zero], expected, 0, 255);
            foreach (var pool in new[] { null, Two })
            {
                Array.Clear(actual);
                new QuantizeBytes(0.05f, zero, signed).Run(x, actual, pool);
                Assert.Equal(expected, actual);
            }
        }
    }

    // ---- sparse ----

    /// <summary>Random 8-bit weights where a value differs from its channel's zero point with probability <paramref name="density"/>.</summary>
    private static byte[] SparseBytes(int seed, int rows, int cols, double density, bool signed, int[] zero, bool rowsAreChannels)
    {
        var rng = new Random(seed);
        var w = new byte[rows * cols];
        for (int i = 0; i < w.Length; i++)
        {
            int channel = rowsAreChannels ? i / cols : i % cols;
            int z = zero.Length == 1 ? zero[0] : zero[channel];
            int v = rng.NextDouble() < density ? rng.Next(signed ? -128 : 0, signed ? 128 : 256) : z;
            w[i] = (byte)v;
        }
        return w;
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Sparse_rows_match_scalar_reference(int lanes)
    {
        const int rows = 9, cols = 23;
        var w = SparseBytes(lanes + 1, rows, cols, 0.4, true, [0], true);
        int ld = lanes + 5;
        var sparse = new QSparseRows(rows, cols, new QBytes(w, true, [0]), cols, false, d => d * ld);
        var rng = new Random(lanes);
        var x = new short[cols * ld + 64];
        for (int i = 0; i < x.Length; i++) x[i] = (short)rng.Next(-255, 256);
        var expected = new int[lanes + 64];
        var actual = new int[lanes + 64];
        fixed (short* px = x)
        fixed (int* pe = expected, pa = actual)
            for (int r = 0; r < rows; r++)
            {
                sparse.RowReference(r, px, lanes, pe);
                sparse.Row(r, px, lanes, pa);
                Assert.Equal(expected.AsSpan(0, lanes).ToArray(), actual.AsSpan(0, lanes).ToArray());
                // And against the dense definition.
                for (int l = 0; l < lanes; l++)
                {
                    int s = 0;
                    for (int d = 0; d < cols; d++) s += (sbyte)w[r * cols + d] * x[d * ld + l];
                    Assert.Equal(s, actual[l]);
                }
            }
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Sparse_byte_rows_match_scalar_reference(int lanes)
    {
        const int rows = 9, cols = 37;
        foreach (bool signed in new[] { true, false })
        {
            var w = SparseBytes(lanes + 2, rows, cols, 0.5, signed, [signed ? 0 : 128], true);
            int ld = lanes + 40;
            var sparse = new QSparseBytes(rows, cols, new QBytes(w, signed, [signed ? 0 : 128]), cols, false, d => d * ld);
            var x = Bytes(lanes + 9, cols * ld + 64);
            var expected = new int[lanes + 64];
            var actual = new int[lanes + 64];
            fixed (byte* px = x)
            fixed (int* pe = expected, pa = actual)
                for (int r = 0; r < rows; r++)
                {
                    sparse.RowReference(r, px, lanes, pe);
                    sparse.Row(r, px, lanes, pa);
                    for (int l = 0; l < lanes; l++)
                    {
                        int s = 0;
                        for (int d = 0; d < cols; d++) s += QPack.VnniWeight(w[r * cols + d], signed) * x[d * ld + l];
                        Assert.Equal(s, expected[l]);
                        Assert.Equal(s, actual[l]);
                    }
                }
        }
    }

    public static TheoryData<string, double> SparseConvData()
    {
        var d = new TheoryData<string, double>();
        foreach (var name in new[] { "lenet-conv1", "lenet-conv2", "stride2-pad1", "dilation2", "groups2", "pointwise", "one-dimensional", "chunks", "large-single" })
            foreach (var density in new[] { 0.0, 0.1, 0.5, 1.0 }) d.Add(name, density);
        return d;
    }

    [Theory]
    [MemberData(nameof(SparseConvData))]
    public void Sparse_convolution_matches_reference(string name, double density)
    {
        var (g, _) = ConvCases[name];
        int variant = 0;
        foreach (bool aSigned in new[] { false, true })
            foreach (var kind in new[] { QuantizedOutputKind.UInt8, QuantizedOutputKind.Float32 })
            {
                variant++;
                bool wSigned = variant % 2 == 0;
                // Zero points the byte form takes (0 or 128) in half the variants, any in the others (the int16 form).
                var zw = WeightZeros(variant <= 2 ? QIsa.Split256 : QIsa.Vector256, wSigned, g.K, variant % 3 != 0, variant);
                var w = SparseBytes(name.Length + variant, g.K, g.GroupColRows, density, wSigned, zw, true);
                var x = Bytes(variant + 3, g.N * g.C * g.InPlane);
                int zx = aSigned ? -3 : 100;
                var stage = Stage(kind, g.K, variant, variant % 2 == 1, g.GroupColRows);
                var acc = ConvReference(g, x, aSigned, zx, w, wSigned, zw);
                var conv = QuantizedSparseConvolution.Choose(g, w, wSigned, zw, aSigned, zx, stage, force: true)!;
                Assert.Equal(variant <= 2 && System.Runtime.Intrinsics.X86.Avx2.IsSupported, conv.Describe().Contains("u8s8", StringComparison.Ordinal));
                Check(conv.Describe(), conv.Forward);
                // The float-carried form (float sparse kernels on exact small integers) exists exactly when no sum can
                // leave float32's exact integers, and then gives the same bytes.
                var carried = FloatCarriedConvolution.Choose(g, w, wSigned, zw, aSigned, zx, stage, force: true);
                double largest = Enumerable.Range(0, g.K).Max(k => Enumerable.Range(k * g.GroupColRows, g.GroupColRows)
                    .Sum(i => Math.Abs((wSigned ? (sbyte)w[i] : w[i]) - (zw.Length == 1 ? zw[0] : zw[k])) * 255.0));
                Assert.Equal(largest < 1 << 24, carried is not null);
                if (carried is not null) Check(carried.Describe(), carried.Forward);
                // And with its float sums converted to int32 before the output stage (the form used when a bias is
                // too large for the direct float stage to be exact).
                FloatCarriedConvolution.DirectStage = false;
                try { carried = FloatCarriedConvolution.Choose(g, w, wSigned, zw, aSigned, zx, stage, force: true); }
                finally { FloatCarriedConvolution.DirectStage = true; }
                if (carried is not null) Check(carried.Describe() + " via int32", carried.Forward);

                void Check(string what, Action<ReadOnlySpan<byte>, Span<byte>, WorkerPool?> forward)
                {
                    var y = new byte[Math.Max(1, g.N * g.K * g.OutPlane * stage.ElementSize)];
                    foreach (var pool in new[] { null, Two })
                    {
                        Array.Clear(y);
                        forward(x, y, pool);
                        for (int i = 0; i < g.N * g.K * g.OutPlane; i++)
                        {
                            double e = stage.Reference(acc[i], i / g.OutPlane % g.K), a = Read(stage.Kind, y, i);
                            Assert.True(e == a, $"{what} {name} density {density} a{(aSigned ? "s" : "u")} {kind} pool {pool?.Threads ?? 1} [{i}]: expected {e}, got {a}");
                        }
                    }
                }
            }
    }

    /// <summary>
    /// A 2x2/stride-2 max pool fused into the integer convolution (the float-carried kernel pools float sums before
    /// the output stage; the others pool their bytes from scratch) gives the bytes of the reference convolution
    /// followed by the reference pool, with and without a fused Relu, uint8 and int8, one and two threads.
    /// </summary>
    [Theory]
    [InlineData("lenet-conv1", 0.1)]
    [InlineData("lenet-conv1", 1.0)]
    [InlineData("lenet-conv2", 0.1)]
    [InlineData("lenet-conv2", 0.5)]
    [InlineData("lenet-conv2", 1.0)]
    [InlineData("chunks", 0.3)]
    [InlineData("large-single", 0.1)]
    public void Pooled_convolution_matches_reference_then_pool(string name, double density)
    {
        var (g, _) = ConvCases[name];
        int ph = g.OH / 2, pw = g.OW / 2;
        foreach (var kind in new[] { QuantizedOutputKind.UInt8, QuantizedOutputKind.Int8 })
            foreach (bool relu in new[] { false, true })
            {
                int seed = (kind == QuantizedOutputKind.Int8 ? 2 : 0) + (relu ? 1 : 0);
                int[] zw = [0];
                var w = SparseBytes(name.Length + seed, g.K, g.GroupColRows, density, true, zw, true);
                var x = Bytes(seed + 11, g.N * g.C * g.InPlane);
                var stage = Stage(kind, g.K, seed, relu, g.GroupColRows);
                var acc = ConvReference(g, x, false, 100, w, true, zw);
                var expected = new double[g.N * g.K * ph * pw];
                for (int plane = 0; plane < g.N * g.K; plane++)
                    for (int i = 0; i < ph; i++)
                        for (int j = 0; j < pw; j++)
                        {
                            double m = double.NegativeInfinity;
                            for (int di = 0; di < 2; di++)
                                for (int dj = 0; dj < 2; dj++)
                                    m = Math.Max(m, stage.Reference(acc[plane * g.OutPlane + (2 * i + di) * g.OW + 2 * j + dj], plane % g.K));
                            expected[(plane * ph + i) * pw + j] = m;
                        }
                var conv = new QuantizedConvolution(g, w, true, zw, false, 100, stage);
                conv.PoolMax2x2();
                Assert.True(conv.Pooled);
                Check(conv.Describe(), conv.Forward);
                var carried = FloatCarriedConvolution.Choose(g, w, true, zw, false, 100, stage, force: true);
                Assert.NotNull(carried);
                Assert.True(carried.PoolMax2x2());
                Check(carried.Describe() + " pooled on sums", carried.Forward);

                void Check(string what, Action<ReadOnlySpan<byte>, Span<byte>, WorkerPool?> forward)
                {
                    var y = new byte[expected.Length + 1];
                    foreach (var pool in new[] { null, Two })
                    {
                        Array.Fill(y, (byte)0x5A);
                        forward(x, y.AsSpan(0, expected.Length), pool);
                        for (int i = 0; i < expected.Length; i++)
                            Assert.True(expected[i] == Read(kind, y, i),
                                $"{what} {name} density {density} {kind} relu={relu} pool {pool?.Threads ?? 1} [{i}]: expected {expected[i]}, got {Read(kind, y, i)}");
                        Assert.Equal(0x5A, y[^1]);
                    }
                }
            }
    }

    public static TheoryData<int, int, int, double> SparseLinearData()
    {
        var d = new TheoryData<int, int, int, double>();
        foreach (var density in new[] { 0.0, 0.1, 0.5, 1.0 })
        {
            d.Add(1, 300, 784, density);
            d.Add(1, 7, 17, density);
            d.Add(64, 84, 120, density);
            d.Add(5, 33, 40, density);
            d.Add(17, 10, 100, density);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(SparseLinearData))]
    public void Sparse_linear_matches_reference(int m, int n, int k, double density)
    {
        int variant = 0;
        foreach (bool aSigned in new[] { false, true })
            foreach (bool transB in new[] { true, false })
            {
                variant++;
                bool wSigned = variant % 2 == 1;
                var zw = WeightZeros(variant <= 2 ? QIsa.Split256 : QIsa.Vector256, wSigned, n, variant % 3 != 0, variant);
                // Channels are outputs: rows of W stored [N, K], columns of W stored [K, N].
                var w = SparseBytes(m + n + variant, transB ? n : k, transB ? k : n, density, wSigned, zw, transB);
                var x = Bytes(variant + 7, m * k);
                int zx = aSigned ? 9 : 70;
                var stage = Stage(QuantizedOutputKind.Int8, n, variant, variant % 2 == 0, k);
                var acc = QGemm.Reference(m, n, k, new QBytes(x, aSigned, [zx]), k, new QBytes(w, wSigned, zw), transB ? k : n, transB);
                var layer = QuantizedSparseLinear.Choose(m, k, n, w, wSigned, zw, transB, aSigned, zx, stage, force: true)!;
                Assert.Equal(m > 1 && variant <= 2 && System.Runtime.Intrinsics.X86.Avx2.IsSupported, layer.Describe().Contains("u8s8", StringComparison.Ordinal));
                Check(layer.Describe(), layer.Forward);

                void Check(string what, Action<ReadOnlySpan<byte>, Span<byte>, WorkerPool?> forward)
                {
                    var y = new byte[m * n];
                    foreach (var pool in new[] { null, Two })
                    {
                        Array.Clear(y);
                        forward(x, y, pool);
                        Expect(stage, acc, m, n, false, y, n, $"{what} {m}x{n}x{k} a{(aSigned ? "s" : "u")} transB {transB} pool {pool?.Threads ?? 1}");
                    }
                }
            }
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Byte_moves_match_scalar(int n)
    {
        var src = Bytes(n + 1, n + 64);
        foreach (byte flip in new byte[] { 0, 0x80 })
        {
            var dst = new byte[n + 64];
            fixed (byte* ps = src, pd = dst) QMoves.Copy(ps, pd, n, flip);
            for (int i = 0; i < n; i++) Assert.Equal((byte)(src[i] ^ flip), dst[i]);
            Assert.All(dst.Skip(n), b => Assert.Equal(0, b));
            // Transposes of n x 37 and 37 x n (blocks of 16 and edges).
            foreach (var (rows, cols) in new[] { (Math.Min(n, 70), 37), (37, Math.Min(n, 70)) })
            {
                var m = Bytes(rows + cols, rows * cols + 1);
                var t = new byte[cols * (rows + 3) + 1];
                fixed (byte* pm = m, pt = t) QMoves.Transpose(pm, rows, cols, cols, pt, rows + 3, flip);
                for (int r = 0; r < rows; r++)
                    for (int c = 0; c < cols; c++) Assert.Equal((byte)(m[r * cols + c] ^ flip), t[c * (rows + 3) + r]);
            }
        }
    }
}
