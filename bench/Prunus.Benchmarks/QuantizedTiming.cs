using System.Diagnostics;
using System.Globalization;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Benchmarks;

/// <summary>
/// Float against integer kernels at the layer shapes of the zoo's lenet5 and mlp (`qkernel-timing [--repeats N]
/// [--sparsity S] [--stage]`): for each layer, batch 1 and 64, one and two threads, the median and minimum microseconds of the
/// float kernel (packed GEMM or im2col convolution, sparse when the weights are) and of the integer one (uint8
/// activations, int8 weights per channel, uint8 output), after warm-up. The minimum resists interference from other
/// processes on a shared machine.
/// </summary>
public static unsafe class QuantizedTiming
{
    /// <summary>The integer kernel family forced by --family (else the layers choose).</summary>
    private static QIsa? s_family;

    /// <summary>Raw throughput of the multiply instructions: twelve independent chains, operands in registers.</summary>
    private static void Instructions()
    {
        const int iters = 2_000_000;
        var x = System.Runtime.Intrinsics.Vector256.Create((short)3);
        var y = System.Runtime.Intrinsics.Vector256.Create((short)5);
        var xb = System.Runtime.Intrinsics.Vector256.Create((byte)3);
        var yb = System.Runtime.Intrinsics.Vector256.Create((sbyte)5);
        var xf = System.Runtime.Intrinsics.Vector256.Create(1.0001f);
        double madd = double.MaxValue, maddubs = double.MaxValue, fma = double.MaxValue;
        int r = 0, rb = 0;
        float rf = 0;
        for (int rep = 0; rep < 31; rep++)
        {
            long t0 = Stopwatch.GetTimestamp();
            r += MaddLoop(iters, x, y);
            madd = Math.Min(madd, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            t0 = Stopwatch.GetTimestamp();
            rb += MaddubsLoop(iters, xb, yb);
            maddubs = Math.Min(maddubs, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            t0 = Stopwatch.GetTimestamp();
            rf += FmaLoop(iters, xf, xf);
            fma = Math.Min(fma, Stopwatch.GetElapsedTime(t0).TotalSeconds);
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"12 chains x {iters}, best of 31: vpmaddwd+vpaddd {12.0 * iters / madd / 1e9:F2} G/s, vpmaddubsw+vpaddw {12.0 * iters / maddubs / 1e9:F2} G/s, vfmadd {12.0 * iters / fma / 1e9:F2} G/s ({r}{rb}{rf})"));
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static int MaddLoop(int n, System.Runtime.Intrinsics.Vector256<short> x, System.Runtime.Intrinsics.Vector256<short> y)
    {
        System.Runtime.Intrinsics.Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        System.Runtime.Intrinsics.Vector256<int> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        var one = System.Runtime.Intrinsics.Vector256.Create((short)1);
        for (int i = 0; i < n; i++)
        {
            x += one;
            a0 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y); a1 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(y, x);
            a2 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, x); a3 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(y, y);
            a4 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y); a5 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(y, x);
            a6 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, x); a7 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(y, y);
            a8 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y); a9 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(y, x);
            a10 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, x); a11 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(y, y);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11)[0] & 1;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static int MaddubsLoop(int n, System.Runtime.Intrinsics.Vector256<byte> x, System.Runtime.Intrinsics.Vector256<sbyte> y)
    {
        System.Runtime.Intrinsics.Vector256<short> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        System.Runtime.Intrinsics.Vector256<short> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        var one = System.Runtime.Intrinsics.Vector256.Create((short)1);
        var oneb = System.Runtime.Intrinsics.Vector256.Create((byte)1);
        for (int i = 0; i < n; i++)
        {
            x += oneb;
            a0 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y); a1 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y);
            a2 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y); a3 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y);
            a4 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y); a5 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y);
            a6 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y); a7 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y);
            a8 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y); a9 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y);
            a10 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y); a11 += System.Runtime.Intrinsics.X86.Avx2.MultiplyAddAdjacent(x, y);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11)[0] & 1;
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static float FmaLoop(int n, System.Runtime.Intrinsics.Vector256<float> x, System.Runtime.Intrinsics.Vector256<float> y)
    {
        System.Runtime.Intrinsics.Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
        System.Runtime.Intrinsics.Vector256<float> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
        for (int i = 0; i < n; i++)
        {
            a0 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, a0); a1 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, a1);
            a2 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, a2); a3 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, a3);
            a4 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, a4); a5 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, a5);
            a6 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, a6); a7 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, a7);
            a8 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, a8); a9 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, a9);
            a10 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, a10); a11 = System.Runtime.Intrinsics.X86.Fma.MultiplyAdd(x, y, a11);
        }
        return (a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11)[0];
    }

    /// <summary>The micro-kernels alone on L1-resident panels: multiply-adds per nanosecond, float and integer.</summary>
    private static void Peak()
    {
        const int kc = 256, mr = 6, nr = 16, calls = 20_000;
        var a = GC.AllocateArray<float>(kc * mr + 64, pinned: true);
        var b = GC.AllocateArray<float>(kc * nr + 64, pinned: true);
        var c = GC.AllocateArray<float>(mr * nr + 64, pinned: true);
        var tile = GC.AllocateArray<int>(mr * nr + 64, pinned: true);
        fixed (float* pa = a, pb = b, pc = c)
        fixed (int* pt = tile)
        {
            var st = new GemmStore { Alpha = 1, Beta = 0 };
            double f = double.MaxValue, q = double.MaxValue, sp = double.MaxValue;
            for (int rep = 0; rep < 21; rep++)
            {
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls; i++) GemmKernel256.Tile(mr, kc, pa, pb, nr, pc, nr, st);
                f = Math.Min(f, Stopwatch.GetElapsedTime(t0).TotalSeconds);
                t0 = Stopwatch.GetTimestamp();
                // kc k values are kc/2 pair words.
                for (int i = 0; i < calls; i++) QTiles.Tile<QKernel256>(mr, kc / 2, (int*)pa, 1, mr, (int*)pb, nr, pt);
                q = Math.Min(q, Stopwatch.GetElapsedTime(t0).TotalSeconds);
                t0 = Stopwatch.GetTimestamp();
                // 6 x 8 tiles, kc/4 quad words; B holds high and low words (16 per step).
                for (int i = 0; i < 2 * calls; i++) QTiles.Tile<QKernelSplit<UnsignedA>>(mr, kc / 4, (int*)pa, 1, mr, (int*)pb, 16, pt);
                sp = Math.Min(sp, Stopwatch.GetElapsedTime(t0).TotalSeconds);
            }
            double macs = (double)mr * nr * kc * calls;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"L1, best of 21: f32 6x16 {macs / f / 1e9:F1} GMAC/s, int16 pairs 6x16 {macs / q / 1e9:F1} GMAC/s, split u8s8 6x8 {macs / sp / 1e9:F1} GMAC/s"));
        }
    }

    private static ConvGeometry Conv(int n, int c, int h, int k, int kernel) => new()
    {
        N = n, C = c, H = h, W = h, K = k, KH = kernel, KW = kernel,
        OH = h - kernel + 1, OW = h - kernel + 1,
    };

    public static int Run(string[] args)
    {
        int repeats = 41;
        double sparsity = 0;
        string? only = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--repeats") repeats = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--sparsity") sparsity = double.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--only") only = args[++i];
            else if (args[i] == "--family") s_family = Enum.Parse<QIsa>(args[++i]);
            else if (args[i] == "--peak") { Peak(); return 0; }
            else if (args[i] == "--instructions") { Instructions(); return 0; }
            else if (args[i] == "--stage") { OutputStage(repeats); return 0; }
        }
        var pools = new[] { new WorkerPool(1), new WorkerPool(2) };
        foreach (int batch in new[] { 1, 64 })
        {
            var layers = new (string Name, Func<WorkerPool, (double, double, string)> Float, Func<WorkerPool, (double, double, string)> Int)[]
            {
                Convs("lenet conv1 1x28x28->20@5x5", Conv(batch, 1, 28, 20, 5), sparsity, repeats),
                Convs("lenet conv2 20x12x12->50@5x5", Conv(batch, 20, 12, 50, 5), sparsity, repeats),
                Pool("lenet pool1 20x24x24", batch, 20, 24, repeats),
                Pool("lenet pool2 50x8x8", batch, 50, 8, repeats),
                Dense("lenet fc1 800->500", batch, 800, 500, sparsity, repeats),
                Dense("lenet fc2 500->10", batch, 500, 10, sparsity, repeats),
                Dense("mlp fc1 784->300", batch, 784, 300, sparsity, repeats),
                Dense("mlp fc2 300->100", batch, 300, 100, sparsity, repeats),
                Dense("mlp fc3 100->10", batch, 100, 10, sparsity, repeats),
            };
            foreach (var (name, f, q) in layers)
            {
                if (only is not null && !name.Contains(only, StringComparison.Ordinal)) continue;
                foreach (var pool in pools)
                {
                    var (fm, fmin, fa) = f(pool);
                    var (qm, qmin, qa) = q(pool);
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{name,-30} N={batch,-3} t={pool.Threads} f32 {fm,8:F1} (min {fmin,8:F1}) {fa,-26} int8 {qm,8:F1} (min {qmin,8:F1}) {qa,-34} ratio(min) {fmin / qmin,5:F2}"));
                }
            }
        }
        return 0;
    }

    private static float[] Floats(int seed, long n, double sparsity)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextDouble() < sparsity ? 0 : (float)(rng.NextDouble() * 2 - 1);
        return a;
    }

    private static byte[] Bytes(int seed, long n, double sparsity, bool weights)
    {
        var rng = new Random(seed);
        var a = new byte[n];
        for (int i = 0; i < a.Length; i++) a[i] = weights && rng.NextDouble() < sparsity ? (byte)0 : (byte)rng.Next(weights ? -127 : 0, weights ? 128 : 256);
        return a;
    }

    /// <summary>
    /// The byte output stage alone, one thread, 64 images of LeNet-5's layer outputs (rows = channels, in cache):
    /// nanoseconds per output from float sums an image at a time (float-carried kernels) and from int32 sums row by row.
    /// Rows of 576 are the first layer's 24x24 planes, 64 the second's 8x8, 144 and 16 the same after a fused 2x2 pool.
    /// </summary>
    private static void OutputStage(int repeats)
    {
        const int images = 64;
        foreach (var (rows, cols) in new[] { (20, 576), (20, 144), (50, 64), (50, 16) })
        {
            var stage = Stage(rows, 500);
            var sums = Floats(7, rows * cols, 0).Select(v => MathF.Round(v * 30000)).ToArray();
            var ints = sums.Select(v => (int)v).ToArray();
            var y = new byte[rows * cols];
            var scratch = new int[cols + 16];
            fixed (float* ps = sums)
            fixed (int* pi = ints, pt = scratch)
            fixed (byte* py = y)
            {
                var st = stage.Store(py, cols, channelsAreRows: true);
                float* s0 = ps;
                int* i0 = pi, t0 = pt;
                var (fm, fmin, _) = Time(repeats, () =>
                {
                    for (int n = 0; n < images; n++) FloatCarry.FinishImageDirect(s0, rows, cols, t0, st);
                }, "");
                var (im, imin, _) = Time(repeats, () =>
                {
                    for (int n = 0; n < images; n++)
                        for (int r = 0; r < rows; r++) st.FinishRow(i0 + r * cols, r, 0, cols);
                }, "");
                double per = 1000.0 / (images * rows * cols);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"byte stage, rows of {cols,3}: from float sums, an image at a time {fm * per:F3} ns/output (min {fmin * per:F3}); from int32 sums, row by row {im * per:F3} (min {imin * per:F3})"));
            }
        }
    }

    private static QuantizedOutput Stage(int channels, int k) =>
        QuantizedOutput.Quantized(DataType.UInt8, channels, Enumerable.Repeat(1f / (k * 64), channels).ToArray(), new int[channels], 10, 10);

    private static (string, Func<WorkerPool, (double, double, string)>, Func<WorkerPool, (double, double, string)>) Convs(string name, ConvGeometry g, double sparsity, int repeats)
    {
        var x = Floats(1, (long)g.N * g.C * g.InPlane, 0);
        var w = Floats(2, (long)g.K * g.GroupColRows, sparsity);
        var b = Floats(3, g.K, 0);
        var y = new float[(long)g.N * g.K * g.OutPlane];
        var conv = new Convolution(g, false) { Activation = new FusedActivation(ActivationKind.Relu) };
        var sparse = SparseSelection.ForConvolution(g, w, new FusedActivation(ActivationKind.Relu));
        var xq = Bytes(4, x.Length, 0, false);
        var wq = Bytes(5, w.Length, sparsity, true);
        var yq = new byte[y.Length];
        var qconv = new QuantizedConvolution(g, wq, true, [0], false, 128, Stage(g.K, g.GroupColRows), s_family, s_family is null);
        return (name,
            pool => Time(repeats, () => { if (sparse is not null) sparse.Forward(x, b, default, y, pool); else conv.Forward(x, w, b, y, false, pool); }, sparse?.Describe() ?? conv.Describe()),
            pool => Time(repeats, () => qconv.Forward(xq, yq, pool), qconv.Describe()));
    }

    private static (string, Func<WorkerPool, (double, double, string)>, Func<WorkerPool, (double, double, string)>) Pool(string name, int n, int c, int h, int repeats)
    {
        var g = new ConvGeometry { N = n, C = c, H = h, W = h, K = c, Groups = c, KH = 2, KW = 2, StrideH = 2, StrideW = 2, OH = h / 2, OW = h / 2 };
        var x = Floats(1, (long)n * c * h * h, 0);
        var y = new float[(long)n * c * g.OutPlane];
        var xq = Bytes(2, x.Length, 0, false);
        var yq = new byte[y.Length];
        var fp = new Pooling(g, PoolKind.Max, false);
        var qp = new QuantizedPooling(g, false);
        return (name, pool => Time(repeats, () => fp.Forward(x, y, pool), "maxpool"), pool => Time(repeats, () => qp.Forward(xq, yq, pool), qp.Describe()));
    }

    private static (string, Func<WorkerPool, (double, double, string)>, Func<WorkerPool, (double, double, string)>) Dense(string name, int m, int k, int n, double sparsity, int repeats)
    {
        var x = Floats(1, (long)m * k, 0);
        var w = Floats(2, (long)n * k, sparsity);
        var b = Floats(3, n, 0);
        var y = new float[(long)m * n];
        var packed = Gemm.PackB(true, k, n, w, k);
        var sparse = SparseSelection.ForLinear(m, k, n, w, true, 1, false, new FusedActivation(ActivationKind.Relu));
        var xq = Bytes(4, x.Length, 0, false);
        var wq = Bytes(5, w.Length, sparsity, true);
        var yq = new byte[y.Length];
        var layer = new QuantizedLinear(m, k, n, wq, true, [0], true, false, 128, Stage(n, k), s_family, s_family is null);
        return (name,
            pool => Time(repeats, () =>
            {
                if (sparse is not null) sparse.Forward(x, b, y, pool);
                else Gemm.Multiply(false, m, 1, x, k, packed, 0, y, n, GemmEpilogue.ColumnBias(b, true), pool);
            }, sparse?.Describe() ?? "gemm-packed"),
            pool => Time(repeats, () => layer.Forward(xq, yq, pool), layer.Describe()));
    }

    private static (double Median, double Min, string Name) Time(int repeats, Action run, string name)
    {
        for (int i = 0; i < 5; i++) run();
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        Array.Sort(times);
        return (times[repeats / 2], times[0], name);
    }
}
