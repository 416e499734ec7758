using Prunus.Graph.Onnx;
using Prunus.Pruning;
using Prunus.Tests.OnnxRuntime;
using Prunus.Tests.Support;

namespace Prunus.Tests.Cli;

public sealed class CliPruneTests(CliWorkspace ws) : IClassFixture<CliWorkspace>
{
    // Latency is measured (about a second per model) only where a test looks at it.
    private CliResult Prune(string output, params string[] more) =>
        Cli.Run(["prune", ws.Mlp, "--data", ws.DataGz, "--threads", "1", "--out", output, .. more.Contains("--latency-batch") ? more : [.. more, "--latency-batch", "0"]]);

    private static double PrunableSparsity(string path)
    {
        var layers = PrunableLayers.Find(OnnxReader.Load(path));
        return layers.Sum(l => l.Sparsity() * l.Size) / layers.Sum(l => l.Size);
    }

    [Fact]
    public void Prune_reports_before_and_after_and_never_touches_its_input()
    {
        var input = Cli.Hashes(ws.Mlp);
        var output = Path.Combine(ws.NewFolder(), "pruned.onnx");
        var r = Prune(output, "--sparsity", "0.9", "--json", "--latency-batch", "1");
        var json = r.Json();
        Assert.Equal(input, Cli.Hashes(ws.Mlp));
        Assert.Equal(0.9, json.GetProperty("sparsity").GetDouble(), 3);
        Assert.Equal(0.9, PrunableSparsity(output), 3);
        Assert.InRange(json.GetProperty("accuracy").GetDouble(), 0, 1);
        var before = json.GetProperty("before");
        Assert.Equal(0, before.GetProperty("sparsity").GetDouble(), 6);
        Assert.Equal(json.GetProperty("params").GetInt64(), before.GetProperty("params").GetInt64()); // masks keep the shapes
        Assert.True(json.GetProperty("after").GetProperty("nonzeros").GetInt64() < before.GetProperty("nonzeros").GetInt64() / 5);
        Assert.True(json.GetProperty("flops").GetInt64() > 0);
        Assert.Equal(new FileInfo(output).Length, json.GetProperty("file_bytes").GetInt64());
        Assert.True(json.GetProperty("file_bytes").GetInt64() < before.GetProperty("file_bytes").GetInt64() / 2, "sparse initializers shrink the file");
        Assert.True(json.GetProperty("latency_b1_ms").GetDouble() > 0);
        // Both models are timed (together, alternating) and both figures reported.
        Assert.True(before.GetProperty("latency_b1_ms").GetDouble() > 0);
        Assert.Equal(json.GetProperty("latency_b1_ms").GetDouble(), json.GetProperty("after").GetProperty("latency_b1_ms").GetDouble());
        Assert.Equal(3, json.GetProperty("layers").GetArrayLength());
        Assert.Contains("pruned to 90.0 %", r.Err);
    }

    [Fact]
    public void Prune_prints_a_before_after_table()
    {
        var r = Prune(Path.Combine(ws.NewFolder(), "p.onnx"), "--sparsity", "0.5", "--granularity", "2:4", "--scope", "layer", "--latency-batch", "1");
        Assert.Equal(0, r.Code);
        foreach (var row in new[] { "accuracy", "nonzero parameters", "file size", "latency batch 1", "before", "after" })
            Assert.Contains(row, r.Out);
    }

    [Theory]
    [InlineData("oneshot", "2")]
    [InlineData("iterative", "2")]
    [InlineData("agp", "1")]
    [InlineData("lottery", "3")]
    public void Every_schedule_fine_tunes_to_the_target(string schedule, string epochs)
    {
        var output = Path.Combine(ws.NewFolder(), "p.onnx");
        var json = Prune(output, "--sparsity", "0.8", "--schedule", schedule, "--epochs", epochs, "--rounds", "2", "--json").Json();
        Assert.Equal(0.8, json.GetProperty("sparsity").GetDouble(), 2);
        Assert.Equal(0.8, PrunableSparsity(output), 2);
    }

    [Fact]
    public void Distillation_blocks_and_the_random_criterion_run_from_the_cli()
    {
        var output = Path.Combine(ws.NewFolder(), "p.onnx");
        var json = Prune(output, "--sparsity", "0.75", "--granularity", "block:4x1", "--method", "random", "--epochs", "1", "--distill", "--json").Json();
        Assert.Equal(0.75, json.GetProperty("sparsity").GetDouble(), 2);
        Assert.Equal("block:4x1", json.GetProperty("granularity").GetString());
    }

    [Theory]
    [InlineData("obs", "unstructured", "global")]
    [InlineData("obs", "2:4", "layer")]
    [InlineData("wanda", "unstructured", "row")]
    [InlineData("taylor", "block:1x4", "global")]
    public void Data_driven_methods_calibrate_on_training_images(string method, string granularity, string scope)
    {
        var output = Path.Combine(ws.NewFolder(), "p.onnx");
        var r = Prune(output, "--sparsity", "0.5", "--method", method, "--granularity", granularity, "--scope", scope, "--calibration", "64", "--json");
        Assert.Equal(0.5, r.Json().GetProperty("sparsity").GetDouble(), 2);
        Assert.Contains(method == "obs" ? "OBS reconstruction" : $"calibrating {method} on 64 images", r.Err);
    }

    [Fact]
    public void A_layer_emptied_by_the_global_ranking_is_reported_and_a_floor_prevents_it()
    {
        var emptied = Prune(Path.Combine(ws.NewFolder(), "p.onnx"), "--sparsity", "0.99", "--json");
        Assert.Contains(emptied.Json().GetProperty("layers").EnumerateArray(), l => l.GetProperty("sparsity").GetDouble() >= 0.99);
        Assert.Contains("kept under 1% of", emptied.Err);
        Assert.Contains("--min-density", emptied.Err);

        var floored = Prune(Path.Combine(ws.NewFolder(), "p.onnx"), "--sparsity", "0.9", "--min-density", "0.05", "--json");
        Assert.All(floored.Json().GetProperty("layers").EnumerateArray(), l => Assert.True(l.GetProperty("sparsity").GetDouble() <= 0.95 + 1e-9));
        Assert.DoesNotContain("kept under 1% of", floored.Err);
    }

    [Theory]
    [InlineData("magnitude", "params")]
    [InlineData("fpgm", "flops")]
    [InlineData("random", "params")]
    public void Channel_pruning_writes_a_smaller_dense_model(string method, string target)
    {
        var output = Path.Combine(ws.NewFolder(), "p.onnx");
        var json = Prune(output, "--granularity", "channel", "--method", method, "--target", target, "--sparsity", "0.5", "--round-to", "4", "--json").Json();
        var before = json.GetProperty("before");
        string measure = target == "flops" ? "flops" : "params";
        double kept = json.GetProperty(measure).GetDouble() / before.GetProperty(measure).GetDouble();
        Assert.InRange(kept, 0.35, 0.65);
        Assert.Equal(0, json.GetProperty("sparsity").GetDouble(), 3); // dense: the channels are gone, not zeroed
        var graph = OnnxReader.Load(output);
        // The hidden widths (300 and 100 in the zoo mlp) shrank to multiples of 4; the 10 logits stayed.
        var layers = PrunableLayers.Find(graph);
        Assert.All(layers.Take(2), l => Assert.Equal(0, l.Outputs % 4));
        Assert.True(layers[0].Outputs < 300);
        Assert.Equal(10, layers[^1].Outputs);
    }

    [Fact]
    public void Channel_pruning_in_rounds_fine_tunes_between_cuts_and_meets_the_target()
    {
        var output = Path.Combine(ws.NewFolder(), "p.onnx");
        var r = Prune(output, "--granularity", "channel", "--target", "flops", "--sparsity", "0.6", "--schedule", "iterative",
            "--rounds", "2", "--epochs", "2", "--json");
        var json = r.Json();
        double kept = json.GetProperty("flops").GetDouble() / json.GetProperty("before").GetProperty("flops").GetDouble();
        Assert.InRange(kept, 0.3, 0.5);
        // Round 1 removes 1 - sqrt(0.4) = 37% of the FLOPs; round 2 takes the rest, counted against the input model.
        Assert.Contains("round 1/2: removed", r.Err);
        Assert.Contains("round 2/2: removed", r.Err);
        Assert.True(PrunableLayers.Find(OnnxReader.Load(output))[0].Outputs < 300);

        var agp = Prune(Path.Combine(ws.NewFolder(), "p.onnx"), "--granularity", "channel", "--schedule", "agp", "--epochs", "1");
        Assert.Equal(2, agp.Code);
        Assert.Contains("use the oneshot or iterative schedule", agp.Err);
    }

    [Fact]
    public void Global_ranking_that_leaves_the_convolutions_dense_says_how_to_get_speed()
    {
        // LeNet-5's conv weights start larger than fc1's (fan-in 25 and 500 against 800), so a global 90% cut falls on fc1.
        var lenet = ws.Save(Prunus.Models.ModelZoo.Create("lenet5"), $"lenet5-{Guid.NewGuid():N}.onnx");
        CliResult Run(params string[] more) =>
            Cli.Run(["prune", lenet, "--data", ws.DataGz, "--threads", "1", "--latency-batch", "0", "--sparsity", "0.9", "--json", "--out", Path.Combine(ws.NewFolder(), "p.onnx"), .. more]);
        var global = Run();
        Assert.Equal(0, global.Code);
        Assert.Contains("prune every layer alike (--scope layer)", global.Err);
        var layer = Run("--scope", "layer");
        Assert.Equal(0, layer.Code);
        Assert.DoesNotContain("prune every layer alike", layer.Err);
    }

    [Fact]
    public void Latency_target_times_the_layers_and_removes_channels_until_the_predicted_time_is_met()
    {
        var output = Path.Combine(ws.NewFolder(), "p.onnx");
        var r = Prune(output, "--granularity", "channel", "--target", "latency", "--sparsity", "0.5", "--round-to", "4", "--latency-batch", "1", "--json");
        Assert.Contains("timing each layer at batch 1", r.Err);
        var json = r.Json();
        Assert.True(json.GetProperty("flops").GetDouble() < 0.8 * json.GetProperty("before").GetProperty("flops").GetDouble());
        Assert.True(PrunableLayers.Find(OnnxReader.Load(output))[0].Outputs < 300);

        var unstructured = Prune(Path.Combine(ws.NewFolder(), "p.onnx"), "--target", "latency");
        Assert.Equal(2, unstructured.Code);
        Assert.Contains("use channel granularity", unstructured.Err);
        var untimed = Prune(Path.Combine(ws.NewFolder(), "p.onnx"), "--granularity", "channel", "--target", "latency", "--latency-batch", "0");
        Assert.Equal(2, untimed.Code);
        Assert.Contains("--latency-batch", untimed.Err);
    }

    [Theory]
    [InlineData("fpgm", "unstructured", "use it with --granularity channel")]
    [InlineData("obs", "block:1x4", "--method obs reconstructs unstructured or N:M")]
    public void Methods_refuse_granularities_they_cannot_serve(string method, string granularity, string message)
    {
        var r = Prune(Path.Combine(ws.NewFolder(), "p.onnx"), "--method", method, "--granularity", granularity);
        Assert.Equal(2, r.Code);
        Assert.Contains(message, r.Err);
    }

    [Fact]
    public void Sensitivity_writes_a_report_that_prune_uses()
    {
        var dir = ws.NewFolder();
        var report = Path.Combine(dir, "sens.json");
        var s = Cli.Run("sensitivity", ws.Mlp, "--data", ws.DataGz, "--threads", "1", "--validation", "64", "--sparsities", "0.5,0.9,0.99",
            "--target-sparsity", "0.8", "--out", report, "--json").Json();
        Assert.Equal(3, s.GetProperty("layers").GetArrayLength());
        Assert.True(s.TryGetProperty("allocation", out _));
        var output = Path.Combine(dir, "p.onnx");
        var r = Prune(output, "--sparsity", "0.8", "--sensitivity", report, "--json");
        Assert.Contains("per-layer sparsities from sens.json", r.Err);
        Assert.Equal(0.8, r.Json().GetProperty("sparsity").GetDouble(), 2);
    }

    [Fact]
    public void Channel_sensitivity_allocates_groups_that_prune_then_meets_exactly()
    {
        var dir = ws.NewFolder();
        var report = Path.Combine(dir, "sens.json");
        var s = Cli.Run("sensitivity", ws.Mlp, "--data", ws.DataGz, "--threads", "1", "--validation", "64", "--granularity", "channel",
            "--sparsities", "0.5,0.9", "--target-sparsity", "0.4", "--target", "flops", "--out", report, "--json").Json();
        Assert.Equal("channel", s.GetProperty("granularity").GetString());
        Assert.Equal(2, s.GetProperty("layers").GetArrayLength()); // the two hidden widths of the mlp
        var json = Prune(Path.Combine(dir, "p.onnx"), "--granularity", "channel", "--target", "flops", "--sparsity", "0.4", "--sensitivity", report, "--json").Json();
        double kept = json.GetProperty("flops").GetDouble() / json.GetProperty("before").GetProperty("flops").GetDouble();
        Assert.InRange(kept, 0.55, 0.61); // 40% of the FLOPs removed, to whole channels
        var mismatch = Prune(Path.Combine(dir, "q.onnx"), "--sparsity", "0.4", "--sensitivity", report);
        Assert.Equal(2, mismatch.Code);
        Assert.Contains("analysed channel pruning, but --granularity is unstructured", mismatch.Err);
    }

    [Theory]
    [InlineData("--granularity", "3:2", "N:M needs 0 < N < M")]
    [InlineData("--sparsity", "1.5", "--sparsity must be between")]
    [InlineData("--method", "psychic", "--method 'psychic' is not one of")]
    [InlineData("--schedule", "lottery", "at least 4 epochs")]
    [InlineData("--ignore", "nosuchlayer", "'nosuchlayer' are not prunable layers")]
    public void Bad_options_fail_with_one_clear_message(string option, string value, string message)
    {
        var dir = ws.NewFolder();
        var output = Path.Combine(dir, "p.onnx");
        var r = Prune(output, option, value);
        Assert.NotEqual(0, r.Code);
        Assert.Contains(message, r.Err);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Output_over_the_input_is_refused()
    {
        var r = Cli.Run("prune", ws.Mlp, "--data", ws.DataGz, "--out", ws.Mlp);
        Assert.Equal(2, r.Code);
        Assert.Contains("--out", r.Err);
    }

    [OrtFact]
    public void OnnxRuntime_runs_the_pruned_sparse_file_with_prunus_outputs()
    {
        var output = Path.Combine(ws.NewFolder(), "pruned.onnx");
        Assert.Equal(0, Prune(output, "--sparsity", "0.9").Code);
        var graph = OnnxReader.Load(output);
        var x = ZooCrossCheck.Images(4, 7);
        var prunus = ZooCrossCheck.RunPrunus(graph, x);
        var ort = OrtPeer.Get().Run(output, new Dictionary<string, Prunus.Tensors.Tensor> { [graph.Inputs[0].Name] = x });
        ZooCrossCheck.AssertSame(prunus, ort, "pruned mlp");
    }
}
