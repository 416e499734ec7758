using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Prunus.Cli.Console;
using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Cli.Commands;

/// <summary>prunus bench MODEL.onnx --batch 1,64: latency median and p90, and throughput, per batch size.</summary>
public sealed class BenchCommand : ICliCommand
{
    public Command Build(Func<Reporter> reporter)
    {
        var model = new Argument<string>("model") { Description = "ONNX model file" };
        var batches = new Option<string>("--batch") { Description = "Batch sizes to measure, comma-separated", DefaultValueFactory = _ => "1,64", HelpName = "n,n,..." };
        var threads = CliOptions.Threads();
        var seconds = new Option<double>("--seconds") { Description = "Measuring time per batch size, in seconds (at least 10 runs are timed)", DefaultValueFactory = _ => 2.0, HelpName = "s" };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs before measuring each batch size (when above 0, also for at least half of --seconds)", DefaultValueFactory = _ => 20, HelpName = "n" };
        var cmd = new Command("bench", "Measure inference latency and throughput on the Prunus engine") { model, batches, threads, seconds, warmup };
        cmd.SetAction(p => Run(reporter(), p.GetValue(model)!, ParseBatches(p.GetValue(batches)!),
            Check.AtLeast("--threads", p.GetValue(threads), 1), Check.InRange("--seconds", p.GetValue(seconds), 0.01, 3600),
            Check.AtLeast("--warmup", p.GetValue(warmup), 0)));
        return cmd;
    }

    private static int[] ParseBatches(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException("--batch needs at least one batch size, e.g. --batch 1,64");
        return parts.Select(s => int.TryParse(s, out var b) && b >= 1 ? b
            : throw new UsageException($"--batch: '{s}' is not a positive whole number")).ToArray();
    }

    private static int Run(Reporter r, string path, int[] batches, int threads, double seconds, int warmup)
    {
        var graph = ModelFiles.Load(path);
        // Every batch size is checked before measuring any, so that a bad one does not end a long run.
        foreach (var batch in batches)
            foreach (var input in graph.DataInputs)
                if (input.Dims is null)
                    throw new ModelException($"{Path.GetFileName(path)}: input '{input.Name}' has no declared shape, so bench cannot make inputs for it");
                else if (!input.Accepts(BatchShape(input, batch)))
                    throw new UsageException($"--batch {batch}: {Path.GetFileName(path)} takes a fixed batch size (input {input})");
        using var pool = new WorkerPool(threads);
        var results = new List<BenchResult>();
        foreach (var batch in batches)
        {
            var shapes = graph.DataInputs.ToDictionary(i => i.Name, i => BatchShape(i, batch));
            var plan = ModelFiles.Naming(path, () => Planner.Compile(graph, shapes, new PlanOptions { Pool = pool }));
            var rng = new SeededRandom(1);
            foreach (var name in plan.InputNames)
            {
                var t = plan.Input(name);
                if (t.Type == DataType.Float32) foreach (ref var v in t.Floats) v = rng.NextFloat();
            }
            var result = r.WithProgress($"batch {batch}", progress => Measure(plan, batch, seconds, warmup, progress));
            results.Add(result);
        }
        r.Table($"{Path.GetFileName(path)} on the Prunus engine, {threads} thread(s)",
            ["batch", "median ms", "p90 ms", "images/s", "runs"],
            results.Select(x => (IReadOnlyList<string>)[x.Batch.ToString(), Fmt.Ms(x.MedianMs), Fmt.Ms(x.P90Ms), x.PerSecond.ToString("N0"), x.Runs.ToString()]));
        r.Result(new JsonObject
        {
            ["model"] = path,
            ["threads"] = threads,
            ["results"] = new JsonArray(results.Select(x => (JsonNode)new JsonObject
            {
                ["batch"] = x.Batch,
                ["median_ms"] = x.MedianMs,
                ["p90_ms"] = x.P90Ms,
                ["throughput"] = x.PerSecond,
                ["runs"] = x.Runs,
            }).ToArray()),
        });
        return 0;
    }

    /// <summary>The declared shape with the batch size as its first dimension and 1 for any other symbolic one.</summary>
    private static int[] BatchShape(ValueInfo input, int batch)
    {
        var shape = input.Concrete(1);
        if (shape.Length > 0) shape[0] = batch;
        return shape;
    }

    private sealed record BenchResult(int Batch, double MedianMs, double P90Ms, double PerSecond, int Runs);

    private static BenchResult Measure(Plan plan, int batch, double seconds, int warmup, Action<double, string> progress)
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
        times.Sort();
        double median = times[times.Count / 2];
        double p90 = times[Math.Min(times.Count - 1, (int)(times.Count * 0.9))];
        return new BenchResult(batch, median, p90, batch / (median / 1000), times.Count);
    }
}
