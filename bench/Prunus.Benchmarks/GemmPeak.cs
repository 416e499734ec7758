using System.Diagnostics;
using System.Globalization;
using Prunus.Kernels;

namespace Prunus.Benchmarks;

/// <summary>
/// Diagnostic (`-- gemm-peak`): the micro-kernel alone on L1-resident panels, i.e. the ceiling the blocked GEMM can
/// approach on this machine; also the packing routines' throughput.
/// </summary>
public static unsafe class GemmPeak
{
    public static int Run(string[] args)
    {
        const int kc = 256, mr = 6, nr = 16;
        var a = GC.AllocateArray<float>(kc * mr + 64, pinned: true);
        var b = GC.AllocateArray<float>(kc * nr + 64, pinned: true);
        var c = GC.AllocateArray<float>(mr * nr + 64, pinned: true);
        var rng = new Random(1);
        for (int i = 0; i < a.Length; i++) a[i] = (float)rng.NextDouble();
        for (int i = 0; i < b.Length; i++) b[i] = (float)rng.NextDouble();
        fixed (float* pa = a, pb = b, pc = c)
        {
            var st = new GemmStore { Alpha = 1, Beta = 0 };
            for (int rep = 0; rep < 7; rep++)
            {
                const int calls = 200_000;
                long t0 = Stopwatch.GetTimestamp();
                for (int i = 0; i < calls; i++) GemmKernel256.Tile(mr, kc, pa, pb, nr, pc, nr, st);
                double sec = Stopwatch.GetElapsedTime(t0).TotalSeconds;
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"kernel\":\"6x16 L1\",\"gflops\":{2.0 * mr * nr * kc * calls / sec / 1e9:F1}}}"));
            }
        }
        PackRates();
        ForLatency();
        return 0;
    }

    /// <summary>Floats per nanosecond of each packing routine on an L2-resident 64 x 784 operand (the MLP's first layer).</summary>
    private static void PackRates()
    {
        const int m = 64, k = 784, n = 300;
        var a = GC.AllocateArray<float>(m * k, pinned: true);
        var b = GC.AllocateArray<float>(k * n, pinned: true);
        var dst = GC.AllocateArray<float>(m * k + k * 32 + 64, pinned: true);
        fixed (float* fa = a, fb = b, fd = dst)
        {
            // The arrays are pinned; plain pointer copies can be captured by the lambdas.
            float* pa = fa, pb = fb, pd = fd;
            foreach (bool trans in new[] { false, true })
            {
                Time($"packA trans={trans}", m * k, () => GemmPack.PackA(trans, pa, trans ? m : k, 0, m, 0, k, 6, pd));
                Time($"packB trans={trans}", 16 * k * 18, () =>
                {
                    for (int j = 0; j < 18 * 16; j += 16) GemmPack.PackBPanel(trans, pb, trans ? k : n, 0, k, j, 16, 16, pd);
                });
            }
        }
    }

    private sealed class Noop : Prunus.Threading.IParallelWork
    {
        public int Sum;
        public void Run(int index) => Interlocked.Add(ref Sum, index);
    }

    /// <summary>Round trip of a two-index run on a two-thread pool whose worker is awake (median of 9 x 20000 calls).</summary>
    private static void ForLatency()
    {
        using var pool = new Prunus.Threading.WorkerPool(2);
        var work = new Noop();
        var times = new List<double>();
        for (int rep = 0; rep < 9; rep++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < 20000; i++) pool.For(2, work);
            times.Add(Stopwatch.GetElapsedTime(t0).TotalNanoseconds / 20000);
        }
        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"pool_for_2_ns\":{times[4]:F0},\"min_ns\":{times[0]:F0}}}"));
    }

    private static void Time(string name, int floats, Action pack)
    {
        for (int i = 0; i < 200; i++) pack();
        var rates = new List<double>();
        for (int rep = 0; rep < 9; rep++)
        {
            long t0 = Stopwatch.GetTimestamp();
            for (int i = 0; i < 200; i++) pack();
            rates.Add(floats * 200.0 / Stopwatch.GetElapsedTime(t0).TotalNanoseconds);
        }
        rates.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{{\"pack\":\"{name}\",\"floats_per_ns\":{rates[4]:F2}}}"));
    }
}
