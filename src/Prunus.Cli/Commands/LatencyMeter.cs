using System.Diagnostics;
using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Cli.Commands;

/// <summary>Latency of one batch size: median and 90th percentile of timed runs, and images per second at the median.</summary>
public sealed record LatencyResult(int Batch, double MedianMs, double P90Ms, double PerSecond, int Runs);

/// <summary>Times plans on the Prunus engine (shared by bench and the before/after reports of prune and quantize).</summary>
public static class LatencyMeter
{
    /// <summary>
    /// Latencies of two graphs (a model before and after pruning or quantization) at each of <paramref name="batches"/>,
    /// optimized as the engine runs them and timed in alternating rounds of a few runs each for about
    /// <paramref name="seconds"/> apiece, after warming both up alternately. Timed one after the other, the two would
    /// see different machines where other work comes and goes (speeds here move by up to 1.6x between minutes);
    /// interleaved, their ratio holds.
    /// </summary>
    public static (IReadOnlyList<LatencyResult> First, IReadOnlyList<LatencyResult> Second) MeasurePair(ModelGraph first, ModelGraph second,
        IReadOnlyList<int> batches, double seconds, WorkerPool pool, Action<double, string> progress)
    {
        ModelGraph Optimized(ModelGraph g)
        {
            var o = g.Clone();
            PassPipeline.ForInference.Run(o);
            return o;
        }
        var (a, b) = (Optimized(first), Optimized(second));
        var resultsA = new List<LatencyResult>();
        var resultsB = new List<LatencyResult>();
        for (int i = 0; i < batches.Count; i++)
        {
            int batch = batches[i];
            var plans = new[] { PlanProfiler.PlanWithRandomInputs(a, batch, pool), PlanProfiler.PlanWithRandomInputs(b, batch, pool) };
            var warming = Stopwatch.StartNew();
            for (int w = 0; w < 20 || warming.Elapsed.TotalSeconds < seconds / 2; w++) { plans[0].Run(); plans[1].Run(); }
            var times = new[] { new List<double>(), new List<double>() };
            var spent = new double[2];
            while (spent[0] < seconds * 1000 || spent[1] < seconds * 1000 || times[0].Count < 10)
            {
                for (int p = 0; p < 2; p++)
                    for (int run = 0; run < 5; run++)
                    {
                        long t0 = Stopwatch.GetTimestamp();
                        plans[p].Run();
                        double ms = Stopwatch.GetElapsedTime(t0).TotalMilliseconds;
                        times[p].Add(ms);
                        spent[p] += ms;
                    }
                progress((i + Math.Min(1, Math.Min(spent[0], spent[1]) / (seconds * 1000))) / batches.Count, $"batch {batch}");
            }
            resultsA.Add(Summarize(batch, times[0]));
            resultsB.Add(Summarize(batch, times[1]));
        }
        progress(1, "");
        return (resultsA, resultsB);
    }

    /// <summary>Times <paramref name="plan"/> for about <paramref name="seconds"/> (at least 10 runs) after warming up.</summary>
    public static LatencyResult Measure(Plan plan, int batch, double seconds, int warmup, Action<double, string> progress)
    {
        // Warm up for the runs asked and, unless none were, for half the measuring time as well: the JIT first
        // compiles the kernels quickly and replaces them with optimized code only after some calls and a delay, which
        // on a busy machine can take longer than a few runs (measured at several times the steady-state latency).
        var warming = Stopwatch.StartNew();
        for (int i = 0; i < warmup || warmup > 0 && warming.Elapsed.TotalSeconds < seconds / 2; i++) plan.Run();
        var times = new List<double>();
        var total = Stopwatch.StartNew();
        while (total.Elapsed.TotalSeconds < seconds || times.Count < 10)
        {
            long t0 = Stopwatch.GetTimestamp();
            plan.Run();
            times.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            if (times.Count % 64 == 0) progress(total.Elapsed.TotalSeconds / seconds, "");
        }
        // Completion is reported even when the runs were too few (slow models, busy machines) for a report above.
        progress(1, "");
        return Summarize(batch, times);
    }

    /// <summary>Median, 90th percentile and throughput of run times in milliseconds.</summary>
    private static LatencyResult Summarize(int batch, List<double> times)
    {
        times.Sort();
        double median = times[times.Count / 2];
        double p90 = times[Math.Min(times.Count - 1, (int)(times.Count * 0.9))];
        // A run shorter than the clock's tick measures 0; throughput is then bounded by one tick, not infinite.
        double tick = 1000.0 / System.Diagnostics.Stopwatch.Frequency;
        return new LatencyResult(batch, median, p90, batch / (Math.Max(median, tick) / 1000), times.Count);
    }
}
