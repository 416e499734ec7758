using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Prunus.Cli.Console;
using Prunus.Graph.Analysis;

namespace Prunus.Cli.Commands;

/// <summary>prunus inspect MODEL.onnx: layers, shapes, parameters, nonzeros, FLOPs, file size, unsupported ops.</summary>
public sealed class InspectCommand : ICliCommand
{
    public Command Build(Func<Reporter> reporter)
    {
        var model = new Argument<string>("model") { Description = "ONNX model file" };
        var batch = new Option<int>("--batch") { Description = "Batch size for the shapes and FLOPs shown", DefaultValueFactory = _ => 1, HelpName = "n" };
        var cmd = new Command("inspect", "Show a model's layers, shapes, parameters, nonzeros, FLOPs and file size") { model, batch };
        cmd.SetAction(p => Run(reporter(), p.GetValue(model)!, Check.AtLeast("--batch", p.GetValue(batch), 1)));
        return cmd;
    }

    private static int Run(Reporter r, string path, int batch)
    {
        var graph = ModelFiles.Load(path);
        var summary = ModelSummary.Of(graph, batch);
        long fileBytes = new FileInfo(path).Length;

        r.Table($"{Path.GetFileName(path)}: {graph.Name} (opset {graph.Metadata.Opset}, batch {batch})",
            ["layer", "op", "output shape", "params", "nonzeros", "MFLOPs"],
            summary.Layers.Select(l => (IReadOnlyList<string>)[l.Name, l.OpType, Fmt.Shape(l.OutputShape), Fmt.Count(l.Parameters), Fmt.Count(l.NonZeros), Fmt.Mega(l.Flops)]));
        r.Table(null, ["total", "value"],
        [
            ["inputs", string.Join("; ", graph.DataInputs.Select(i => i.ToString()))],
            ["outputs", string.Join("; ", graph.Outputs.Select(o => o.ToString()))],
            ["parameters", Fmt.Count(summary.Parameters)],
            ["nonzeros", $"{Fmt.Count(summary.NonZeros)} ({(1 - summary.Sparsity) * 100:F1}% dense)"],
            ["FLOPs", $"{Fmt.Mega(summary.Flops)} M"],
            ["file size", Fmt.Bytes(fileBytes)],
        ]);
        foreach (var u in summary.UnsupportedOps)
            r.Line($"unsupported op {u.OpType} x{u.Nodes.Count}: {string.Join(", ", u.Nodes.Take(8))}{(u.Nodes.Count > 8 ? ", ..." : "")}");
        foreach (var i in graph.DataInputs.Where(i => i.Dims is null))
            r.Line($"input '{i.Name}' has no declared shape: output shapes and FLOPs are unknown");

        r.Result(new JsonObject
        {
            ["model"] = path,
            ["name"] = graph.Name,
            ["opset"] = graph.Metadata.Opset,
            ["file_bytes"] = fileBytes,
            ["params"] = summary.Parameters,
            ["nonzeros"] = summary.NonZeros,
            ["sparsity"] = summary.Sparsity,
            ["flops"] = summary.Flops,
            ["batch"] = batch,
            ["inputs"] = new JsonArray(graph.DataInputs.Select(i => (JsonNode)new JsonObject { ["name"] = i.Name, ["type"] = i.Type.ToString(), ["shape"] = i.Dims is null ? null : new JsonArray(i.Dims.Select(d => (JsonNode)(d.Value is { } v ? JsonValue.Create(v) : JsonValue.Create(d.Symbol ?? "?"))).ToArray()) }).ToArray()),
            ["outputs"] = new JsonArray(graph.Outputs.Select(o => (JsonNode)JsonValue.Create(o.Name)).ToArray()),
            ["layers"] = new JsonArray(summary.Layers.Select(l => (JsonNode)new JsonObject
            {
                ["name"] = l.Name,
                ["op"] = l.OpType,
                ["output_shape"] = l.OutputShape is null ? null : new JsonArray(l.OutputShape.Select(d => (JsonNode)JsonValue.Create(d)).ToArray()),
                ["params"] = l.Parameters,
                ["nonzeros"] = l.NonZeros,
                ["flops"] = l.Flops,
            }).ToArray()),
            ["unsupported_ops"] = new JsonArray(summary.UnsupportedOps.Select(u => (JsonNode)new JsonObject
            {
                ["op"] = u.OpType,
                ["domain"] = u.Domain,
                ["count"] = u.Nodes.Count,
                ["nodes"] = new JsonArray(u.Nodes.Select(n => (JsonNode)JsonValue.Create(n)).ToArray()),
            }).ToArray()),
        });
        return 0;
    }
}

/// <summary>Number formatting for tables.</summary>
public static class Fmt
{
    public static string Count(long n) => n.ToString("N0", CultureInfo.InvariantCulture);
    public static string Mega(long n) => (n / 1e6).ToString("F3", CultureInfo.InvariantCulture);
    public static string Shape(int[]? s) => s is null ? "?" : "[" + string.Join(",", s) + "]";
    public static string Ms(double ms) => ms.ToString(ms < 1 ? "F4" : "F3", CultureInfo.InvariantCulture);
    public static string Pct(double f) => (f * 100).ToString("F2", CultureInfo.InvariantCulture) + "%";
    public static string Bytes(long b) => b switch
    {
        < 1024 => $"{b} B",
        < 1 << 20 => (b / 1024.0).ToString("F1", CultureInfo.InvariantCulture) + " KiB",
        _ => (b / 1048576.0).ToString("F2", CultureInfo.InvariantCulture) + " MiB",
    };
}
