using System.Diagnostics;
using System.Globalization;
using Prunus.Kernels;
using Prunus.Threading;

namespace Prunus.Benchmarks;

/// <summary>
/// Quick GEMM throughput check (`-- gemm-gflops`): GFLOP/s as the median of repeated timed runs after warm-up, one JSON
/// line per shape and thread count, in the same format as bench/openblas_gemm.py prints for the peer.
/// </summary>
public static partial class GemmGflops
{
    /// <summary>Time per batch from the process CPU clock instead of the wall clock (--cpu): on a shared machine this
    /// leaves out the time other processes hold the core, so single-thread tuning experiments can be compared.</summary>
    private static bool useCpuTime;

    [System.Runtime.InteropServices.LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec ts);

    private struct TimeSpec
    {
        public long Seconds, Nanoseconds;
    }

    private static double CpuSeconds()
    {
        ClockGetTime(2, out var ts); // CLOCK_PROCESS_CPUTIME_ID
        return ts.Seconds + ts.Nanoseconds * 1e-9;
    }

    /// <summary>A benchmarked shape: C[M,N] = op(A)[M,K] op(B)[K,N].</summary>
    public sealed record Shape(string Name, int M, int N, int K, bool TransA = false, bool TransB = false, bool Packed = false);

    /// <summary>1024^3 and the model shapes (MLP layers, LeNet-5 convolution lowering, batch 1, backward transposes).</summary>
    public static readonly Shape[] ModelShapes =
    [
        new("mlp1 64x784x300", 64, 300, 784),
        new("mlp2 64x300x100", 64, 100, 300),
        new("lenet-fc 64x800x500", 64, 500, 800),
        new("conv2 50x500x4096", 50, 4096, 500),
        new("conv1 20x25x36864", 20, 36864, 25),
        new("b1 1x784x300", 1, 300, 784),
        new("b1 1x800x500", 1, 500, 800),
        new("b1-packed 1x784x300", 1, 300, 784, Packed: true),
        new("mlp1-packed 64x784x300", 64, 300, 784, Packed: true),
        new("dW 784x300 (A^T B, batch 64)", 784, 300, 64, TransA: true),
        new("dX 64x784 (A B^T)", 64, 784, 300, TransB: true),
    ];

    public static int Run(string[] args)
    {
        int repeats = 15;
        bool useMax = false;
        int onlyThreads = 0;
        var custom = new List<Shape>();
        string? only = null;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--repeats") repeats = int.Parse(args[++i], CultureInfo.InvariantCulture);
            if (args[i] == "--only") only = args[++i];
            if (args[i] == "--max") useMax = true;
            if (args[i] == "--cpu") useCpuTime = true;
            if (args[i] == "--shape")
            {
                var d = args[++i].Split('x').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
                custom.Add(new Shape(args[i], d[0], d[1], d[2]));
            }
            if (args[i] == "--threads") onlyThreads = int.Parse(args[++i], CultureInfo.InvariantCulture);
            if (args[i] == "--set") Tune(args[++i]);
        }
        var big = new Shape("1024^3", 1024, 1024, 1024);
        var runs = new List<(Shape, int)>();
        foreach (var s in custom.Count > 0 ? custom : [big, .. ModelShapes]) { runs.Add((s, 1)); runs.Add((s, 2)); }
        using var one = new WorkerPool(1);
        using var two = new WorkerPool(2);
        foreach (var (shape, threads) in runs)
        {
            if (only is not null && !shape.Name.Contains(only, StringComparison.Ordinal)) continue;
            if (onlyThreads != 0 && threads != onlyThreads) continue;
            double gflops = Measure(shape, threads == 1 ? one : two, repeats, useMax);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"engine\":\"prunus\",\"kernel\":\"{Gemm.KernelName}\",\"shape\":\"{shape.Name}\",\"m\":{shape.M},\"n\":{shape.N},\"k\":{shape.K},\"threads\":{threads},\"gflops\":{gflops:F1}}}"));
        }
        return 0;
    }

    /// <summary>Sets an internal tuning knob for an experiment: kc=, mc=, directb=, parallel= (flops).</summary>
    private static void Tune(string setting)
    {
        var parts = setting.Split('=');
        double v = double.Parse(parts[1], CultureInfo.InvariantCulture);
        switch (parts[0])
        {
            case "kc": GemmJob<GemmKernel256>.KcMax = (int)v; break;
            case "mc": GemmJob<GemmKernel256>.McMax = (int)v; break;
            case "directb": GemmJob<GemmKernel256>.DirectBRows = (int)v; break;
            case "parallel": GemmJob<GemmKernel256>.ParallelFlops = v; break;
            case "gemv": GemmGemv.ParallelMacs = (long)v; break;
            case "chunk": GemmJob<GemmKernel256>.ChunkCols = (int)v; break;
            default: throw new ArgumentException($"unknown knob {parts[0]}");
        }
    }

    /// <summary>Median GFLOP/s of <paramref name="repeats"/> timed batches, each long enough (~20 ms) to time reliably.</summary>
    public static double Measure(Shape s, WorkerPool pool, int repeats, bool useMax = false)
    {
        var rng = new Random(1);
        var a = new float[s.M * s.K];
        var b = new float[s.K * s.N];
        var c = new float[s.M * s.N];
        for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble() - 0.5f;
        for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble() - 0.5f;
        int lda = s.TransA ? s.M : s.K, ldb = s.TransB ? s.K : s.N;
        var packed = s.Packed ? Gemm.PackB(s.TransB, s.K, s.N, b, ldb) : null;
        void Once()
        {
            if (packed is not null) Gemm.Multiply(s.TransA, s.M, 1f, a, lda, packed, 0f, c, s.N, default, pool);
            else Gemm.Multiply(s.TransA, s.TransB, s.M, s.N, s.K, 1f, a, lda, b, ldb, 0f, c, s.N, pool);
        }
        double flops = 2.0 * s.M * s.N * s.K;
        // Warm-up until tiered compilation has settled, then size batches to about 20 ms.
        var sw = Stopwatch.StartNew();
        int warm = 0;
        while (sw.ElapsedMilliseconds < 300 || warm < 5) { Once(); warm++; }
        double perCall = sw.Elapsed.TotalSeconds / warm;
        int batch = Math.Max(1, (int)(0.02 / perCall));
        var rates = new double[repeats];
        for (int r = 0; r < repeats; r++)
        {
            long t0 = Stopwatch.GetTimestamp();
            double c0 = useCpuTime ? CpuSeconds() : 0;
            for (int i = 0; i < batch; i++) Once();
            double sec = useCpuTime ? CpuSeconds() - c0 : Stopwatch.GetElapsedTime(t0).TotalSeconds;
            rates[r] = flops * batch / sec / 1e9;
        }
        Array.Sort(rates);
        return useMax ? rates[^1] : rates[repeats / 2];
    }
}
