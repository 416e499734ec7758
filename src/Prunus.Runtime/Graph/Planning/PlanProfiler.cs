using System.Diagnostics;
using Prunus.Graph.Passes;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Graph.Planning;

/// <summary>Time spent in one plan step, summed over the profiled runs.</summary>
public sealed record StepProfile(string Node, string OpType, string Algorithm, double ForwardMs, double BackwardMs);

/// <summary>
/// Times every step of a plan, forward and (for plans with gradients) backward, over repeated runs. The inputs are
/// whatever the plan's input buffers hold. Times are per run (mean).
/// </summary>
public static class PlanProfiler
{
    public static IReadOnlyList<StepProfile> Profile(Plan plan, int runs, bool backward = false, int warmup = 3)
    {
        var steps = plan.Steps;
        var fwd = new long[steps.Length];
        var bwd = new long[steps.Length];
        for (int r = -warmup; r < runs; r++)
        {
            for (int i = 0; i < steps.Length; i++)
            {
                long t0 = Stopwatch.GetTimestamp();
                if (!steps[i].IsView) steps[i].Kernel.Forward(plan.Context);
                if (r >= 0) fwd[i] += Stopwatch.GetTimestamp() - t0;
            }
            if (!backward) continue;
            plan.BackwardSteps((i, action) =>
            {
                long t0 = Stopwatch.GetTimestamp();
                action();
                if (r >= 0) bwd[i] += Stopwatch.GetTimestamp() - t0;
            });
        }
        double toMs = 1000.0 / Stopwatch.Frequency / Math.Max(1, runs);
        return steps.Select((s, i) => new StepProfile(s.Node.Name, s.Node.OpType, s.IsView ? "view" : s.Kernel.Algorithm, fwd[i] * toMs, bwd[i] * toMs)).ToList();
    }

    /// <summary>The declared shape of <paramref name="input"/> with the batch size as its first dimension and 1 for any other symbolic one.</summary>
    public static int[] BatchShape(ValueInfo input, int batch)
    {
        var shape = input.Concrete(1);
        if (shape.Length > 0) shape[0] = batch;
        return shape;
    }

    /// <summary>An inference plan of <paramref name="graph"/> (as given, not optimized) at <paramref name="batch"/> with seeded random float inputs.</summary>
    public static Plan PlanWithRandomInputs(ModelGraph graph, int batch, WorkerPool pool)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var shapes = graph.DataInputs.ToDictionary(i => i.Name, i => BatchShape(i, batch));
        var plan = Planner.Compile(graph, shapes, new PlanOptions { Pool = pool });
        var rng = new SeededRandom(1);
        foreach (var name in plan.InputNames)
        {
            var t = plan.Input(name);
            if (t.Type == DataType.Float32) foreach (ref var v in t.Floats) v = rng.NextFloat();
        }
        return plan;
    }

    /// <summary>
    /// Milliseconds per run that each node of <paramref name="graph"/> takes at <paramref name="batch"/> once the graph is
    /// optimized as the engine runs it, keyed by node name. A node fused into another (a BatchNormalization folded into
    /// its Conv, an activation into its producer) has no entry: its time is in the node that absorbed it, which keeps
    /// its producer's name. The plan is warmed up for <paramref name="seconds"/> (so that the JIT has finished tiering
    /// up), then profiled in five chunks of about <paramref name="seconds"/> / 5 each; each step's time is its median over
    /// the chunks, which discounts a chunk in which other work on the machine slowed everything.
    /// </summary>
    public static IReadOnlyDictionary<string, double> NodeTimes(ModelGraph graph, int batch, WorkerPool pool, double seconds = 1.0)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var optimized = graph.Clone();
        PassPipeline.ForInference.Run(optimized);
        var plan = PlanWithRandomInputs(optimized, batch, pool);
        var clock = Stopwatch.StartNew();
        int warmRuns = 0;
        while (clock.Elapsed.TotalSeconds < seconds || warmRuns < 3) { plan.Run(); warmRuns++; }
        double msPerRun = clock.Elapsed.TotalMilliseconds / warmRuns;
        int runs = Math.Clamp((int)(seconds * 1000 / 5 / Math.Max(msPerRun, 1e-3)), 3, 2000);
        var chunks = Enumerable.Range(0, 5).Select(_ => Profile(plan, runs, warmup: 0)).ToList();
        var times = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < chunks[0].Count; i++)
        {
            var sorted = chunks.Select(c => c[i].ForwardMs).Order().ToList();
            var name = chunks[0][i].Node;
            times[name] = times.GetValueOrDefault(name) + sorted[sorted.Count / 2];
        }
        return times;
    }
}
