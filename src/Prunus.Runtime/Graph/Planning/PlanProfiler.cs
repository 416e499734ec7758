using System.Diagnostics;

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
}
