using System.Globalization;
using Prunus.Graph.Planning;
using Prunus.Models;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Benchmarks;

/// <summary>
/// Per-step times of a zoo model's plan: `plan-profile MODEL BATCH [train|infer] [threads] [runs]`.
/// Prints one line per step (forward and backward ms) and the totals.
/// </summary>
public static class PlanProfile
{
    public static int Run(string[] args)
    {
        string model = args.Length > 0 ? args[0] : "lenet5";
        int batch = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 64;
        bool train = args.Length <= 2 || args[2] == "train";
        int threads = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 2;
        int runs = args.Length > 4 ? int.Parse(args[4], CultureInfo.InvariantCulture) : 50;
        var graph = ModelZoo.Create(model);
        using var pool = new WorkerPool(threads);
        var plan = Planner.Compile(graph, [batch, 1, 28, 28], new PlanOptions { Training = train, Pool = pool });
        var rng = new SeededRandom(1);
        foreach (ref var v in plan.Input(0).Floats) v = rng.NextFloat();
        if (train) foreach (ref var v in plan.OutputGradient(0).Floats) v = rng.NextFloat() * 0.01f;
        var steps = PlanProfiler.Profile(plan, runs, train);
        double f = 0, b = 0;
        foreach (var s in steps)
        {
            Console.WriteLine($"{s.Node,-28} {s.OpType,-20} {s.Algorithm,-28} fwd {s.ForwardMs,8:F4} ms  bwd {s.BackwardMs,8:F4} ms");
            f += s.ForwardMs; b += s.BackwardMs;
        }
        Console.WriteLine($"total fwd {f:F4} ms, bwd {b:F4} ms, step {f + b:F4} ms => {batch / ((f + b) / 1000):F0} images/s (without loss and optimizer)");
        return 0;
    }
}
