using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Prunus.Cli.Console;
using Prunus.Graph;
using Prunus.Graph.Passes;
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
        var noOptimize = new Option<bool>("--no-optimize") { Description = "Run the graph as it is, without the inference passes (constant folding, BatchNorm folding, activation fusion)" };
        var profile = new Option<bool>("--profile") { Description = "Also time each layer: milliseconds per run, share of the total, and the kernel that ran" };
        var top = new Option<int>("--top") { Description = "With --profile: layers listed, slowest first (0: all)", DefaultValueFactory = _ => 25, HelpName = "n" };
        var cmd = new Command("bench", "Measure inference latency and throughput on the Prunus engine") { model, batches, threads, seconds, warmup, noOptimize, profile, top };
        cmd.SetAction(p => Run(reporter(), p.GetValue(model)!, ParseBatches(p.GetValue(batches)!),
            Check.AtLeast("--threads", p.GetValue(threads), 1), Check.InRange("--seconds", p.GetValue(seconds), 0.01, 3600),
            Check.AtLeast("--warmup", p.GetValue(warmup), 0), !p.GetValue(noOptimize), p.GetValue(profile), Check.AtLeast("--top", p.GetValue(top), 0)));
        return cmd;
    }

    private static int[] ParseBatches(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException("--batch needs at least one batch size, e.g. --batch 1,64");
        return parts.Select(s => int.TryParse(s, out var b) && b >= 1 ? b
            : throw new UsageException($"--batch: '{s}' is not a positive whole number")).ToArray();
    }

    private static int Run(Reporter r, string path, int[] batches, int threads, double seconds, int warmup, bool optimize, bool profile, int top)
    {
        var graph = ModelFiles.Load(path);
        // As ONNX Runtime does by default, the engine runs the optimized graph (the file is not changed).
        if (optimize) ModelFiles.Naming(path, () => PassPipeline.ForInference.Run(graph));
        // Every batch size is checked before measuring any, so that a bad one does not end a long run.
        foreach (var batch in batches)
            foreach (var input in graph.DataInputs)
                if (input.Dims is null)
                    throw new ModelException($"{Path.GetFileName(path)}: input '{input.Name}' has no declared shape, so bench cannot make inputs for it");
                else if (!input.Accepts(PlanProfiler.BatchShape(input, batch)))
                    throw new UsageException($"--batch {batch}: {Path.GetFileName(path)} takes a fixed batch size (input {input})");
        using var pool = new WorkerPool(threads);
        var results = new List<LatencyResult>();
        var profiles = new JsonArray();
        foreach (var batch in batches)
        {
            var plan = ModelFiles.Naming(path, () => PlanProfiler.PlanWithRandomInputs(graph, batch, pool));
            var result = r.WithProgress($"batch {batch}", progress => LatencyMeter.Measure(plan, batch, seconds, warmup, progress));
            results.Add(result);
            if (profile) profiles.Add(Profile(r, plan, batch, result, top));
        }
        r.Table($"{Path.GetFileName(path)} on the Prunus engine, {threads} thread(s)",
            ["batch", "median ms", "p90 ms", "images/s", "runs"],
            results.Select(x => (IReadOnlyList<string>)[x.Batch.ToString(), Fmt.Ms(x.MedianMs), Fmt.Ms(x.P90Ms), x.PerSecond.ToString("N0"), x.Runs.ToString()]));
        var json = new JsonObject
        {
            ["model"] = path,
            ["threads"] = threads,
            ["optimized"] = optimize,
            ["results"] = new JsonArray(results.Select(x => (JsonNode)new JsonObject
            {
                ["batch"] = x.Batch,
                ["median_ms"] = x.MedianMs,
                ["p90_ms"] = x.P90Ms,
                ["throughput"] = x.PerSecond,
                ["runs"] = x.Runs,
            }).ToArray()),
        };
        if (profile) json["profiles"] = profiles;
        r.Result(json);
        return 0;
    }

    /// <summary>
    /// Times every step of <paramref name="plan"/> (runs timed step by step, so the sum is a little above the
    /// end-to-end latency) and prints the slowest <paramref name="top"/>; returns all of them as JSON.
    /// </summary>
    private static JsonObject Profile(Reporter r, Plan plan, int batch, LatencyResult result, int top)
    {
        int runs = Math.Clamp((int)(1000 / Math.Max(result.MedianMs, 0.01)), 5, 200); // about a second
        var steps = r.WithProgress($"profile batch {batch}", progress => { var s = PlanProfiler.Profile(plan, runs); progress(1, ""); return s; });
        double total = steps.Sum(s => s.ForwardMs);
        var shown = steps.OrderByDescending(s => s.ForwardMs).Take(top == 0 ? steps.Count : top).ToList();
        r.Table($"per-layer time at batch {batch} ({runs} runs; steps sum to {Fmt.Ms(total)} ms)", ["layer", "op", "kernel", "ms", "share"],
            shown.Select(s => (IReadOnlyList<string>)[s.Node, s.OpType, s.Algorithm, Fmt.Ms(s.ForwardMs), Fmt.Pct(total > 0 ? s.ForwardMs / total : 0)]));
        var byOp = steps.GroupBy(s => s.OpType).Select(g => (Op: g.Key, Ms: g.Sum(s => s.ForwardMs), Count: g.Count())).OrderByDescending(x => x.Ms).ToList();
        r.Table($"per op type at batch {batch}", ["op", "layers", "ms", "share"],
            byOp.Select(x => (IReadOnlyList<string>)[x.Op, x.Count.ToString(), Fmt.Ms(x.Ms), Fmt.Pct(total > 0 ? x.Ms / total : 0)]));
        return new JsonObject
        {
            ["batch"] = batch,
            ["runs"] = runs,
            ["total_ms"] = total,
            ["layers"] = new JsonArray(steps.Select(s => (JsonNode)new JsonObject
            {
                ["name"] = s.Node,
                ["op"] = s.OpType,
                ["kernel"] = s.Algorithm,
                ["ms"] = s.ForwardMs,
                ["share"] = total > 0 ? s.ForwardMs / total : 0,
            }).ToArray()),
        };
    }
}
