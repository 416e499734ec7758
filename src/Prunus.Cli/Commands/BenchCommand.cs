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
        var cmd = new Command("bench", "Measure inference latency and throughput on the Prunus engine") { model, batches, threads, seconds, warmup, noOptimize };
        cmd.SetAction(p => Run(reporter(), p.GetValue(model)!, ParseBatches(p.GetValue(batches)!),
            Check.AtLeast("--threads", p.GetValue(threads), 1), Check.InRange("--seconds", p.GetValue(seconds), 0.01, 3600),
            Check.AtLeast("--warmup", p.GetValue(warmup), 0), !p.GetValue(noOptimize)));
        return cmd;
    }

    private static int[] ParseBatches(string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new UsageException("--batch needs at least one batch size, e.g. --batch 1,64");
        return parts.Select(s => int.TryParse(s, out var b) && b >= 1 ? b
            : throw new UsageException($"--batch: '{s}' is not a positive whole number")).ToArray();
    }

    private static int Run(Reporter r, string path, int[] batches, int threads, double seconds, int warmup, bool optimize)
    {
        var graph = ModelFiles.Load(path);
        // As ONNX Runtime does by default, the engine runs the optimized graph (the file is not changed).
        if (optimize) ModelFiles.Naming(path, () => PassPipeline.ForInference.Run(graph));
        // Every batch size is checked before measuring any, so that a bad one does not end a long run.
        foreach (var batch in batches)
            foreach (var input in graph.DataInputs)
                if (input.Dims is null)
                    throw new ModelException($"{Path.GetFileName(path)}: input '{input.Name}' has no declared shape, so bench cannot make inputs for it");
                else if (!input.Accepts(LatencyMeter.BatchShape(input, batch)))
                    throw new UsageException($"--batch {batch}: {Path.GetFileName(path)} takes a fixed batch size (input {input})");
        using var pool = new WorkerPool(threads);
        var results = new List<LatencyResult>();
        foreach (var batch in batches)
        {
            var plan = ModelFiles.Naming(path, () => LatencyMeter.PlanWithRandomInputs(graph, batch, pool));
            var result = r.WithProgress($"batch {batch}", progress => LatencyMeter.Measure(plan, batch, seconds, warmup, progress));
            results.Add(result);
        }
        r.Table($"{Path.GetFileName(path)} on the Prunus engine, {threads} thread(s)",
            ["batch", "median ms", "p90 ms", "images/s", "runs"],
            results.Select(x => (IReadOnlyList<string>)[x.Batch.ToString(), Fmt.Ms(x.MedianMs), Fmt.Ms(x.P90Ms), x.PerSecond.ToString("N0"), x.Runs.ToString()]));
        r.Result(new JsonObject
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
        });
        return 0;
    }
}
