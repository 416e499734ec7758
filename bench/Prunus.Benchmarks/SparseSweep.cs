using System.Diagnostics;
using System.Globalization;
using Prunus.Kernels;
using Prunus.Threading;

namespace Prunus.Benchmarks;

/// <summary>
/// Dense against sparse kernels over densities and layer shapes (`-- sparse-sweep [--threads 2] [--repeats 41]
/// [--batch 1,64] [--layouts csr,block4] [--densities 0.1,0.5] [--only NAME] [--structured] [--wall] [--quick]`; and
/// `-- sparse-sweep gemv-ab`): for each layer shape and batch size, the dense kernel the planner uses (packed GEMM,
/// im2col convolution) and each sparse layout at each density. Microseconds are the 10th percentile of the repeats,
/// each repeat the mean of enough calls to last ~0.3 ms; with one thread the clock is the thread's CPU time (unless
/// --wall), which other processes on a shared machine cannot inflate. The last column is the crossover: the highest
/// density at which sparse still beat dense. Weights are random unstructured (block4 on them stores the union of four
/// rows, so it shows the cost of fill) or, with `--structured`, exact 4x1 blocks for block4 and 2:4 at density 0.5.
/// </summary>
public static class SparseSweep
{
    private static readonly double[] AllDensities = [0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.85, 1.0];

    private abstract record Shape(string Name);
    private sealed record Linear(string Name, int K, int N) : Shape(Name);
    private sealed record Conv(string Name, int C, int H, int W, int K, int Kernel, int Stride, int Pad) : Shape(Name);

    private static readonly Shape[] Shapes =
    [
        new Linear("lenet fc1 800->500", 800, 500),
        new Linear("lenet fc2 500->10", 500, 10),
        new Linear("mlp fc1 784->300", 784, 300),
        new Linear("mlp fc2 300->100", 300, 100),
        new Linear("fc 1024->1024", 1024, 1024),
        new Conv("lenet conv1 1x28x28->20@5x5", 1, 28, 28, 20, 5, 1, 0),
        new Conv("lenet conv2 20x12x12->50@5x5", 20, 12, 12, 50, 5, 1, 0),
        new Conv("resnet 16x32x32->16@3x3 p1", 16, 32, 32, 16, 3, 1, 1),
        new Conv("resnet 32x16x16->64@3x3 s2 p1", 32, 16, 16, 64, 3, 2, 1),
        new Conv("pw 64x14x14->128@1x1", 64, 14, 14, 128, 1, 1, 0),
    ];

    public static int Run(string[] args)
    {
        if (args.Length > 0 && args[0] == "gemv-ab") return GemvAb(args[1..]);
        int threads = 2, repeats = 41;
        var batches = new[] { 1, 64 };
        var layouts = new[] { SparseLayout.Csr, SparseLayout.Block4 };
        var densities = AllDensities;
        bool structured = false;
        string? only = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--threads": threads = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--repeats": repeats = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--batch": batches = args[++i].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--layouts": layouts = args[++i].Split(',').Select(s => s == "block4" ? SparseLayout.Block4 : SparseLayout.Csr).ToArray(); break;
                case "--densities": densities = args[++i].Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--structured": structured = true; break;
                case "--only": only = args[++i]; break;
                case "--wall": break;
                case "--quick": densities = [0.05, 0.1, 0.3, 0.5, 0.7, 1.0]; repeats = 21; break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        var pool = new WorkerPool(threads);
        s_cpuTime = threads == 1 && !args.Contains("--wall");
        Console.WriteLine($"# sparse-sweep: {threads} thread(s), 10th percentile of {repeats} repeats, microseconds; {(structured ? "structured" : "unstructured")} weights");
        Console.WriteLine($"| layer | batch | dense us | layout | {string.Join(" | ", densities.Select(d => d.ToString("0.00", CultureInfo.InvariantCulture)))} | crossover |");
        Console.WriteLine($"| --- | --- | --- | --- |{string.Concat(densities.Select(_ => " --- |"))} --- |");
        foreach (var shape in Shapes)
        {
            if (only is not null && !shape.Name.Contains(only, StringComparison.OrdinalIgnoreCase)) continue;
            foreach (int batch in batches)
            {
                double dense = shape is Linear l ? DenseLinear(l, batch, pool, repeats) : DenseConv((Conv)shape, batch, pool, repeats);
                foreach (var layout in layouts)
                {
                    var times = new List<double>();
                    double crossover = 0;
                    foreach (double d in densities)
                    {
                        double t = shape is Linear ll ? SparseLinearTime(ll, batch, d, layout, structured, pool, repeats)
                            : SparseConvTime((Conv)shape, batch, d, layout, structured, pool, repeats);
                        times.Add(t);
                        if (t < dense) crossover = d;
                    }
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"| {shape.Name} | {batch} | {dense:F1} | {layout} | {string.Join(" | ", times.Select(t => t.ToString("F1", CultureInfo.InvariantCulture)))} | {crossover:0.00} |"));
                }
            }
        }
        return 0;
    }

    private static float[] Weights(int seed, int rows, int cols, double density, SparseLayout layout, bool structured)
    {
        var rng = new Random(seed);
        var w = new float[rows * cols];
        if (structured && layout == SparseLayout.Block4)
        {
            // 4x1 blocks: groups of four rows share each kept column.
            for (int r0 = 0; r0 < rows; r0 += 4)
                for (int c = 0; c < cols; c++)
                    if (rng.NextDouble() < density)
                        for (int r = r0; r < Math.Min(rows, r0 + 4); r++) w[r * cols + c] = (float)(rng.NextDouble() - 0.5);
            return w;
        }
        if (structured && Math.Abs(density - 0.5) < 1e-9)
        {
            for (int r = 0; r < rows; r++)
                for (int g = 0; g < cols; g += 4)
                {
                    int a = rng.Next(4), b = (a + 1 + rng.Next(3)) % 4;
                    if (g + a < cols) w[r * cols + g + a] = (float)(rng.NextDouble() - 0.5);
                    if (g + b < cols) w[r * cols + g + b] = (float)(rng.NextDouble() - 0.5);
                }
            return w;
        }
        for (int i = 0; i < w.Length; i++) if (rng.NextDouble() < density) w[i] = (float)(rng.NextDouble() - 0.5);
        return w;
    }

    private static float[] Data(int n)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (i * 2654435761u % 1000) / 1000f;
        return a;
    }

    private static double DenseLinear(Linear l, int batch, WorkerPool pool, int repeats)
    {
        // As a plan runs Gemm with transB=1: B [N, K] packed once, bias and Relu in the epilogue.
        var w = Weights(1, l.N, l.K, 1, SparseLayout.Csr, false);
        var packed = Gemm.PackB(true, l.K, l.N, w, l.K);
        var x = Data(batch * l.K);
        var bias = Data(l.N);
        var y = new float[batch * l.N];
        return Time(repeats, () => Gemm.Multiply(false, batch, 1f, x, l.K, packed, 0f, y, l.N, GemmEpilogue.ColumnBias(bias, true), pool));
    }

    private static double SparseLinearTime(Linear l, int batch, double density, SparseLayout layout, bool structured, WorkerPool pool, int repeats)
    {
        var w = Weights(2, l.N, l.K, density, layout, structured);
        var layer = new SparseLinear(batch, l.K, l.N, w, true, 1f, false, layout) { Activation = new FusedActivation(ActivationKind.Relu) };
        var x = Data(batch * l.K);
        var bias = Data(l.N);
        var y = new float[batch * l.N];
        return Time(repeats, () => layer.Forward(x, bias, y, pool));
    }

    private static ConvGeometry Geometry(Conv c, int batch)
    {
        int oh = ConvGeometry.OutputSize(c.H, c.Kernel, c.Stride, 1, c.Pad, c.Pad), ow = ConvGeometry.OutputSize(c.W, c.Kernel, c.Stride, 1, c.Pad, c.Pad);
        return new ConvGeometry
        {
            N = batch, C = c.C, H = c.H, W = c.W, K = c.K, KH = c.Kernel, KW = c.Kernel, StrideH = c.Stride, StrideW = c.Stride,
            PadTop = c.Pad, PadLeft = c.Pad, PadBottom = c.Pad, PadRight = c.Pad, OH = oh, OW = ow,
        };
    }

    private static double DenseConv(Conv c, int batch, WorkerPool pool, int repeats)
    {
        var g = Geometry(c, batch);
        var conv = new Convolution(g, training: false);
        var w = Weights(3, g.K, g.GroupColRows, 1, SparseLayout.Csr, false);
        var x = Data(g.N * g.C * g.InPlane);
        var b = Data(g.K);
        var y = new float[g.N * g.K * g.OutPlane];
        return Time(repeats, () => conv.Forward(x, w, b, y, false, pool));
    }

    private static double SparseConvTime(Conv c, int batch, double density, SparseLayout layout, bool structured, WorkerPool pool, int repeats)
    {
        var g = Geometry(c, batch);
        var w = Weights(4, g.K, g.GroupColRows, density, layout, structured);
        var conv = new SparseConvolution(g, w, layout);
        var x = Data(g.N * g.C * g.InPlane);
        var b = Data(g.K);
        var y = new float[g.N * g.K * g.OutPlane];
        return Time(repeats, () => conv.Forward(x, b, default, y, pool));
    }

    /// <summary>With one thread: time the calling thread spent on a CPU, immune to other processes' load.</summary>
    private static bool s_cpuTime;

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec ts);

    private struct TimeSpec { public long Seconds, Nanoseconds; }

    private static double NowMs()
    {
        if (!s_cpuTime) return Stopwatch.GetTimestamp() * 1000.0 / Stopwatch.Frequency;
        ClockGetTime(3, out var ts);  // CLOCK_THREAD_CPUTIME_ID
        return ts.Seconds * 1000.0 + ts.Nanoseconds / 1e6;
    }

    /// <summary>
    /// The 10th percentile over repeats of the mean microseconds of a batch of calls lasting about 0.3 ms: short
    /// windows are more often undisturbed, and a low percentile rather than the minimum ignores a rare clock glitch.
    /// </summary>
    private static double Time(int repeats, Action run)
    {
        for (int i = 0; i < 3; i++) run();
        double t0 = NowMs();
        int calls = 0;
        while (NowMs() - t0 < 0.3 || calls < 2) { run(); calls++; }
        var times = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            t0 = NowMs();
            for (int i = 0; i < calls; i++) run();
            times[r] = (NowMs() - t0) * 1000 / calls;
        }
        Array.Sort(times);
        return times[repeats / 10];
    }

    /// <summary>
    /// The batch-1 kernel with and without AVX2 gathers, interleaved in one process so both see the same load
    /// (`-- sparse-sweep gemv-ab`). On Zen 3 both stay near 2 nonzeros per ns: the gather instruction is the limit (a
    /// SELL-8 layout, eight rows per gather with no per-row sums, measured the same and was dropped).
    /// </summary>
    private static unsafe int GemvAb(string[] args)
    {
        s_cpuTime = true;
        foreach (var l in Shapes.OfType<Linear>())
            foreach (double d in new[] { 0.05, 0.1, 0.3 })
            {
                var w = Weights(2, l.N, l.K, d, SparseLayout.Csr, false);
                var rows = SparseRows.FromDense(w, l.N, l.K, l.K);
                var op = SparseOperand.Create(rows, SparseLayout.Csr, c => c);
                var x = Data(l.K);
                var y = new float[l.N];
                double g = double.MaxValue, s = double.MaxValue;
                fixed (float* px = x, py = y)
                {
                    float* xp = px, yp = py;
                    for (int round = 0; round < 5; round++)
                    {
                        SparseGemv.UseGather = true;
                        g = Math.Min(g, Time(9, () => SparseGemv.Csr(op, xp, 0, l.N, yp, null, false)));
                        SparseGemv.UseGather = false;
                        s = Math.Min(s, Time(9, () => SparseGemv.Csr(op, xp, 0, l.N, yp, null, false)));
                    }
                }
                SparseGemv.UseGather = true;
                double nnz = rows.NonZeros / 1000.0;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{l.Name} d={d}: nnz {rows.NonZeros}, csr-gather {g:F2} us ({nnz / g:F2} nnz/ns), csr-scalar {s:F2} us ({nnz / s:F2})"));
            }
        return 0;
    }
}
