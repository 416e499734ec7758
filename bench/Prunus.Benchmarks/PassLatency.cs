using System.Diagnostics;
using System.Globalization;
using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Models;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Benchmarks;

/// <summary>
/// Inference latency of a zoo model before and after <see cref="PassPipeline.ForInference"/>:
/// `pass-latency MODEL BATCH [threads] [runs] [profile]`. The two plans run alternately, block by block, so that machine
/// noise hits both alike; prints the median of each and their ratio, and with "profile" the time per op type of each.
/// </summary>
public static class PassLatency
{
    public static int Run(string[] args)
    {
        string model = args.Length > 0 ? args[0] : "resnet";
        int batch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1;
        int threads = args.Length > 2 ? int.Parse(args[2], CultureInfo.InvariantCulture) : 2;
        int runs = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 200;
        var graph = ModelZoo.Create(model);
        var optimized = graph.Clone();
        var report = PassPipeline.ForInference.Run(optimized);
        using var pool = new WorkerPool(threads);
        var options = new PlanOptions { Pool = pool };
        var plans = new[] { Planner.Compile(graph, [batch, 1, 28, 28], options), Planner.Compile(optimized, [batch, 1, 28, 28], options) };
        var rng = new SeededRandom(1);
        var input = Tensor.Zeros(batch, 1, 28, 28);
        foreach (ref var v in input.Floats) v = rng.NextFloat();
        foreach (var p in plans) p.Input(0).CopyFrom(input);

        // Warm up into tier-1 code, then alternate blocks of runs.
        foreach (var p in plans) for (int i = 0; i < 50; i++) p.Run();
        var times = new[] { new List<double>(), new List<double>() };
        const int block = 10;
        for (int done = 0; done < runs; done += block)
            for (int k = 0; k < 2; k++)
                for (int i = 0; i < block; i++)
                {
                    long t0 = Stopwatch.GetTimestamp();
                    plans[k].Run();
                    times[k].Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
                }
        double Median(List<double> t) { t.Sort(); return t[t.Count / 2]; }
        double before = Median(times[0]), after = Median(times[1]);
        Console.WriteLine($"{model} batch {batch}, {threads} thread(s), {runs} runs each: {report}");
        Console.WriteLine($"  before: {plans[0].StepCount,3} steps, median {before,9:F4} ms");
        Console.WriteLine($"  after:  {plans[1].StepCount,3} steps, median {after,9:F4} ms  ({before / after:F2}x)");
        if (args.Length > 4 && args[4] == "profile")
            for (int k = 0; k < 2; k++)
            {
                var byType = PlanProfiler.Profile(plans[k], Math.Max(runs / 4, 5)).GroupBy(p => p.OpType + " " + p.Algorithm)
                    .Select(g => (g.Key, Ms: g.Sum(p => p.ForwardMs), Count: g.Count())).OrderByDescending(t => t.Ms);
                Console.WriteLine(k == 0 ? "  profile before:" : "  profile after:");
                foreach (var (key, ms, count) in byType) Console.WriteLine($"    {key,-56} x{count,-3} {ms,9:F4} ms");
            }
        return 0;
    }
}
