using System.Diagnostics;
using System.Globalization;
using Prunus.Kernels;
using Prunus.Threading;

namespace Prunus.Benchmarks;

/// <summary>
/// Quick timing of the convolution and pooling kernels at LeNet-5 and MobileNet-like shapes (`-- conv-timing`):
/// median and minimum microseconds of repeated runs after warm-up (the minimum resists interference from other
/// processes on a shared machine), forward (inference) and forward+backward (training), one line
/// per layer, batch size and thread count.
/// </summary>
public static class ConvTiming
{
    private sealed record Layer(string Name, ConvGeometry G, bool Pool, bool NeedDx);

    private static ConvGeometry Conv(int n, int c, int h, int k, int kernel, int stride = 1, int pad = 0, int groups = 1) => new()
    {
        N = n, C = c, H = h, W = h, K = k, Groups = groups, KH = kernel, KW = kernel, StrideH = stride, StrideW = stride,
        PadTop = pad, PadLeft = pad, PadBottom = pad, PadRight = pad,
        OH = ConvGeometry.OutputSize(h, kernel, stride, 1, pad, pad), OW = ConvGeometry.OutputSize(h, kernel, stride, 1, pad, pad),
    };

    private static Layer[] Layers(int n) =>
    [
        new("lenet conv1 1x28x28->20@5x5", Conv(n, 1, 28, 20, 5), false, false),
        new("lenet pool1 20x24x24 2x2", Conv(n, 20, 24, 20, 2, 2, groups: 20), true, true),
        new("lenet conv2 20x12x12->50@5x5", Conv(n, 20, 12, 50, 5), false, true),
        new("lenet pool2 50x8x8 2x2", Conv(n, 50, 8, 50, 2, 2, groups: 50), true, true),
        new("dw 32x56x56 3x3", Conv(n, 32, 56, 32, 3, 1, 1, groups: 32), false, true),
        new("pw 32->64 56x56", Conv(n, 32, 56, 64, 1), false, true),
    ];

    private static bool directDense;

    public static int Run(string[] args)
    {
        int repeats = 21;
        var custom = new List<int[]>();
        int[] batches = [1, 64];
        bool inferenceOnly = false;
        int[] directB = [GemmJob<GemmKernel256>.DirectBRows];
        for (int i = 0; i < args.Length; i++)
            if (args[i] == "--repeats") repeats = int.Parse(args[++i], CultureInfo.InvariantCulture);
            else if (args[i] == "--batch") batches = args[++i].Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            else if (args[i] == "--inference") inferenceOnly = true;
            // With --inference: also the direct kernel on the same dense weight (reported in the train columns).
            else if (args[i] == "--direct") { inferenceOnly = true; directDense = true; }
            // Row blocks up to this tall read the lowered columns in place; several values are timed alternately.
            else if (args[i] == "--directb") directB = args[++i].Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
            // C,H,K,kernel[,stride,pad,groups]: a convolution of this shape instead of the built-in list.
            else if (args[i] == "--shape") custom.Add(args[++i].Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray());
        // Not disposed: the process ends right after, and a one-thread pool has no workers to release.
        var one = new WorkerPool(1);
        var two = new WorkerPool(2);
        foreach (int batch in batches)
            foreach (var layer in custom.Count == 0 ? Layers(batch) : custom.Select(d => Custom(batch, d)))
                foreach (var pool in new[] { one, two })
                    foreach (int d in directB)
                    {
                        GemmJob<GemmKernel256>.DirectBRows = d;
                        var (infer, train, algo) = Measure(layer, pool, repeats, inferenceOnly);
                        string variant = directB.Length > 1 ? $" directB={d}" : "";
                        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                            $"{layer.Name,-30} N={batch,-3} t={pool.Threads}{variant} {algo,-24} inference {infer.Median,8:F1} (min {infer.Min,8:F1}) us  train {train.Median,8:F1} (min {train.Min,8:F1}) us"));
                    }
        return 0;
    }

    private static Layer Custom(int n, int[] d)
    {
        int stride = d.Length > 4 ? d[4] : 1, pad = d.Length > 5 ? d[5] : 0, groups = d.Length > 6 ? d[6] : 1;
        return new($"{d[0]}x{d[1]}x{d[1]}->{d[2]}@{d[3]}x{d[3]}/s{stride}p{pad}g{groups}", Conv(n, d[0], d[1], d[2], d[3], stride, pad, groups), false, true);
    }

    private static ((double Median, double Min) Inference, (double Median, double Min) Train, string Algorithm) Measure(Layer layer, WorkerPool pool, int repeats, bool inferenceOnly)
    {
        var g = layer.G;
        var rng = new Random(1);
        float[] Rand(long n) { var a = new float[n]; for (int i = 0; i < a.Length; i++) a[i] = (float)(rng.NextDouble() * 2 - 1); return a; }
        var x = Rand((long)g.N * g.C * g.InPlane);
        var y = new float[(long)g.N * g.K * g.OutPlane];
        var dy = Rand(y.Length);
        var dx = new float[x.Length];
        if (layer.Pool)
        {
            var inf = new Pooling(g, PoolKind.Max, false);
            var ti = Median(repeats, () => inf.Forward(x, y, pool));
            var tt = Median(repeats, () => { inf.Forward(x, y, pool); inf.Backward(x, y, dy, dx, pool); });
            return (ti, tt, "maxpool");
        }
        var w = Rand((long)g.K * g.Cg * g.Taps);
        var b = Rand(g.K);
        var dw = new float[w.Length];
        var db = new float[b.Length];
        var infer = new Convolution(g, training: false);
        var train = new Convolution(g, training: true);
        var tInfer = Median(repeats, () => infer.Forward(x, w, b, y, false, pool));
        if (inferenceOnly && directDense && SparseConvolution.Supports(g))
        {
            // The same dense weight on the direct (tap-list) kernel, for the plan-time choice between the two.
            var direct = SparseSelection.ForConvolution(g, w) ?? new SparseConvolution(g, w, SparseLayout.Csr);
            var tDirect = Median(repeats, () => direct.Forward(x, b, default, y, pool));
            return (tInfer, tDirect, infer.Describe() + " | " + direct.Describe());
        }
        if (inferenceOnly) return (tInfer, (0, 0), infer.Describe());
        var tTrain = Median(repeats, () =>
        {
            train.Forward(x, w, b, y, false, pool);
            train.Backward(x, w, dy, layer.NeedDx ? dx : default, dw, db, true, pool);
        });
        return (tInfer, tTrain, infer.Describe());
    }

    private static (double Median, double Min) Median(int repeats, Action run)
    {
        for (int i = 0; i < 3; i++) run();
        var times = new double[repeats];
        for (int i = 0; i < repeats; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            run();
            times[i] = Stopwatch.GetElapsedTime(t0).TotalMicroseconds;
        }
        Array.Sort(times);
        return (times[repeats / 2], times[0]);
    }
}
