using System.Diagnostics;
using System.Globalization;
using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Kernels;
using Prunus.Threading;

namespace Prunus.Benchmarks;

/// <summary>
/// Two plans in one process, timed in alternation. `switch-ab FILE SWITCH [batch] [threads] [rounds]` compiles one file
/// with an engine switch off and on; `pair-ab FILE_A FILE_B [batch] [threads] [rounds]` compiles two files (a model and
/// its pruned or quantized form). Both then alternate rounds of 20 runs and print the median of the round medians and
/// the share of rounds each won. Separate processes on this machine differ by up to 1.6x in speed; two plans in one
/// process alternating every few milliseconds see the same machine. SWITCH: line-rows (CSR convolution rows padded to
/// cache lines), qdirect (the direct integer convolution), sparse (sparse kernel selection),
/// conv-images (lowered convolutions image by image with the images spread over the workers), carry-direct (float-carried
/// int8 convolutions' sums straight to the output stage), float-carry (sparse int8 layers on the float sparse kernels), qpool (2x2 max pools fused into int8 convolutions; the graph is optimized again).
/// </summary>
public static class SwitchAb
{
    private static readonly Dictionary<string, Action<bool>> Switches = new()
    {
        ["line-rows"] = on => SparseConvolution.LineAlignment = on,
        ["qdirect"] = on => QDirectConvolution.Enabled = on,
        ["sparse"] = on => SparseSelection.Enabled = on,
        ["conv-images"] = on => Convolution.ImagesInParallelEnabled = on,
        ["carry-direct"] = on => FloatCarriedConvolution.DirectStage = on,
        ["float-carry"] = on => FloatCarry.Enabled = on,
        ["qpool"] = on => QuantizedPoolFusionPass.Enabled = on,
    };

    public static int Run(string[] args)
    {
        if (args.Length < 2 || !Switches.TryGetValue(args[1], out var set))
        {
            Console.Error.WriteLine($"usage: switch-ab FILE SWITCH [batch] [threads] [rounds]; SWITCH is one of {string.Join(", ", Switches.Keys)}");
            return 2;
        }
        var (batch, threads, rounds) = Options(args, 2);
        using var pool = new WorkerPool(threads);
        // Loaded (and optimized) once per setting, so that switches of the graph passes apply too.
        set(false);
        var off = Compile(Load(args[0]), batch, pool);
        set(true);
        var on = Compile(Load(args[0]), batch, pool);
        var (a, b, wins, spread) = Alternate(off, on, rounds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(args[0])} batch {batch}, {threads} threads, {rounds} rounds: {args[1]} off {a:F4} ms, on {b:F4} ms (off/on {a / b:F3}x; on faster in {wins} of {rounds} rounds; {spread})"));
        return 0;
    }

    public static int RunPair(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: pair-ab FILE_A FILE_B [batch] [threads] [rounds]");
            return 2;
        }
        var (batch, threads, rounds) = Options(args, 2);
        using var pool = new WorkerPool(threads);
        var first = Compile(Load(args[0]), batch, pool);
        var second = Compile(Load(args[1]), batch, pool);
        var (a, b, wins, spread) = Alternate(first, second, rounds);
        string na = Path.GetFileName(args[0]), nb = Path.GetFileName(args[1]);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"batch {batch}, {threads} threads, {rounds} rounds: {na} {a:F4} ms, {nb} {b:F4} ms ({na}/{nb} {a / b:F3}x; {nb} faster in {wins} of {rounds} rounds; {spread})"));
        return 0;
    }

    private static (int Batch, int Threads, int Rounds) Options(string[] args, int from)
    {
        int Arg(int i, int fallback) => args.Length > i ? int.Parse(args[i], CultureInfo.InvariantCulture) : fallback;
        return (Arg(from, 64), Arg(from + 1, 2), Arg(from + 2, 60));
    }

    private static ModelGraph Load(string path)
    {
        var graph = OnnxReader.Load(path);
        PassPipeline.ForInference.Run(graph);
        return graph;
    }

    private static Plan Compile(ModelGraph graph, int batch, WorkerPool pool) => PlanProfiler.PlanWithRandomInputs(graph, batch, pool);

    /// <summary>
    /// Median of the round medians of each plan, the rounds the second won, and the spread of the per-round ratios
    /// (first / second of adjacent rounds; their quartiles show how far one run's ratio can be trusted).
    /// </summary>
    private static (double First, double Second, int SecondWins, string Spread) Alternate(Plan first, Plan second, int rounds)
    {
        var plans = new[] { first, second };
        var medians = new List<double>[] { [], [] };
        var times = new double[20];
        // Warm-up: a second of runs of both. Helpers not marked for full optimization start as quickly compiled code
        // and are replaced only after some calls and a delay; a few runs each left the direct integer convolution's
        // image lowering slow and reversed which of two int8 first layers looked faster at batch 1.
        var warm = Stopwatch.StartNew();
        while (warm.Elapsed.TotalSeconds < 1) { plans[0].Run(); plans[1].Run(); }
        for (int r = -3; r < rounds; r++)
            for (int p = 0; p < 2; p++)
            {
                for (int i = 0; i < times.Length; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    plans[p].Run();
                    times[i] = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                }
                Array.Sort(times);
                if (r >= 0) medians[p].Add(times[times.Length / 2]);
            }
        int wins = Enumerable.Range(0, rounds).Count(r => medians[1][r] < medians[0][r]);
        static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        var ratios = Enumerable.Range(0, rounds).Select(r => medians[0][r] / medians[1][r]).Order().ToList();
        string spread = string.Create(CultureInfo.InvariantCulture,
            $"round ratios: median {ratios[rounds / 2]:F3}x, quartiles {ratios[rounds / 4]:F3}-{ratios[3 * rounds / 4]:F3}x");
        return (Median(medians[0]), Median(medians[1]), wins, spread);
    }
}
