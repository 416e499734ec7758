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
        return 0;
    }
}
