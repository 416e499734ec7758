using System.Diagnostics;
using System.Globalization;
using Prunus.Graph.Onnx;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Benchmarks;

/// <summary>
/// One model, two plans in one process: `switch-ab FILE SWITCH [batch] [threads] [rounds]` compiles the file with an
/// engine switch off and on, then alternates rounds of 20 runs of each and prints the median of the round medians
/// and the share of rounds each won. Separate processes on this machine differ by up to 1.6x in speed; two plans in
/// one process alternating every few milliseconds see the same machine. SWITCH: line-rows (CSR convolution rows
/// padded to cache lines), qdirect (the direct integer convolution), sparse (sparse kernel selection).
/// </summary>
public static class SwitchAb
{
    private static readonly Dictionary<string, Action<bool>> Switches = new()
    {
        ["line-rows"] = on => SparseConvolution.LineAlignment = on,
        ["qdirect"] = on => QDirectConvolution.Enabled = on,
        ["sparse"] = on => SparseSelection.Enabled = on,
    };

    public static int Run(string[] args)
    {
        if (args.Length < 2 || !Switches.TryGetValue(args[1], out var set))
        {
            Console.Error.WriteLine($"usage: switch-ab FILE SWITCH [batch] [threads] [rounds]; SWITCH is one of {string.Join(", ", Switches.Keys)}");
            return 2;
        }
        int batch = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 64;
        int threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2;
        int rounds = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 60;
        var graph = OnnxReader.Load(args[0]);
        PassPipeline.ForInference.Run(graph);
        using var pool = new WorkerPool(threads);
        Plan Compile(bool on)
        {
            set(on);
            var shapes = graph.DataInputs.ToDictionary(i => i.Name, i => { var s = i.Concrete(1); s[0] = batch; return s; });
            var plan = Planner.Compile(graph, shapes, new PlanOptions { Pool = pool });
            var rng = new SeededRandom(1);
            foreach (var name in plan.InputNames)
                if (plan.Input(name).Type == DataType.Float32) foreach (ref var v in plan.Input(name).Floats) v = rng.NextFloat();
            return plan;
        }
        var plans = new[] { Compile(false), Compile(true) };
        set(true);
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
        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{Path.GetFileName(args[0])} batch {batch}, {threads} threads, {rounds} rounds: {args[1]} off {Median(medians[0]):F4} ms, on {Median(medians[1]):F4} ms (off/on {Median(medians[0]) / Median(medians[1]):F3}x; on faster in {wins} of {rounds} rounds)"));
        return 0;
    }
}
