using Prunus.Cli.Commands;
using Prunus.Graph.Analysis;
using Prunus.Graph.Onnx;
using Prunus.Graph.Planning;
using Prunus.IO;
using Prunus.Models;
using Prunus.Tensors;

namespace Prunus.Tests.Cli;

/// <summary>eval, inspect, bench and run end to end on small models and the synthetic dataset.</summary>
public sealed class CliModelCommandTests(CliWorkspace ws) : IClassFixture<CliWorkspace>
{
    [Theory]
    [InlineData(true, "64")]
    [InlineData(false, "1000")]
    public void Eval_json_reports_accuracy_loss_and_samples(bool gzip, string batch)
    {
        var data = gzip ? ws.DataGz : ws.DataRaw;
        var json = Cli.Run("eval", ws.Mlp, "--data", data, "--batch", batch, "--threads", "1", "--json").Json();
        Assert.InRange(json.GetProperty("accuracy").GetDouble(), 0, 1);
        // An untrained 10-class model has a cross-entropy near ln 10.
        Assert.InRange(json.GetProperty("loss").GetDouble(), 1.5, 3.5);
        Assert.Equal(128, json.GetProperty("samples").GetInt32());
        Assert.Equal(ws.Mlp, json.GetProperty("model").GetString());
    }

    [Fact]
    public void Eval_batch_size_does_not_change_the_result()
    {
        var a = Cli.Run("eval", ws.Mlp, "--data", ws.DataGz, "--batch", "50", "--json").Json();
        var b = Cli.Run("eval", ws.Mlp, "--data", ws.DataGz, "--batch", "128", "--json").Json();
        Assert.Equal(a.GetProperty("accuracy").GetDouble(), b.GetProperty("accuracy").GetDouble());
        Assert.Equal(a.GetProperty("loss").GetDouble(), b.GetProperty("loss").GetDouble(), 5);
    }

    [Fact]
    public void Eval_human_mode_prints_a_table()
    {
        var r = Cli.Run("eval", ws.Mlp, "--data", ws.DataGz);
        Assert.True(r.Code == 0, r.Describe());
        foreach (var s in new[] { "mlp.onnx", "metric", "accuracy", "loss", "samples", "128", "seconds" }) Assert.Contains(s, r.Out);
    }

    [Fact]
    public void Inspect_json_counts_parameters_nonzeros_flops_and_file_size()
    {
        var json = Cli.Run("inspect", ws.Mlp, "--json").Json();
        var zoo = ModelSummary.Of(ModelZoo.Create("mlp"));
        Assert.Equal(266_610, zoo.Parameters);
        Assert.Equal(zoo.Parameters, json.GetProperty("params").GetInt64());
        Assert.Equal(zoo.NonZeros, json.GetProperty("nonzeros").GetInt64());
        Assert.Equal(zoo.Flops, json.GetProperty("flops").GetInt64());
        Assert.True(zoo.Flops > 2 * 266_000);
        Assert.Equal(new FileInfo(ws.Mlp).Length, json.GetProperty("file_bytes").GetInt64());
        var layers = json.GetProperty("layers");
        Assert.Equal(zoo.Layers.Count, layers.GetArrayLength());
        Assert.Equal("fc1", layers[1].GetProperty("name").GetString());
        Assert.Equal("Gemm", layers[1].GetProperty("op").GetString());
        Assert.Equal(235_500, layers[1].GetProperty("params").GetInt64());
        Assert.Equal(0, json.GetProperty("unsupported_ops").GetArrayLength());
    }

    [Fact]
    public void Inspect_batch_scales_flops()
    {
        var one = Cli.Run("inspect", ws.Mlp, "--json").Json().GetProperty("flops").GetInt64();
        var eight = Cli.Run("inspect", ws.Mlp, "--batch", "8", "--json").Json().GetProperty("flops").GetInt64();
        Assert.Equal(8 * one, eight);
    }

    [Fact]
    public void Inspect_human_mode_prints_layers_and_totals()
    {
        var r = Cli.Run("inspect", ws.Mlp);
        Assert.True(r.Code == 0, r.Describe());
        foreach (var s in new[] { "mlp.onnx: mlp (opset 17, batch 1)", "fc1", "Gemm", "[1,300]", "235,500", "parameters", "266,610",
                     "nonzeros", "100.0% dense", "FLOPs", "file size", "MiB", "input: Float32[N,1,28,28]" })
            Assert.Contains(s, r.Out);
        Assert.Equal("", r.Err);
    }

    [Fact]
    public void Inspect_lists_unsupported_ops_without_failing()
    {
        var r = Cli.Run("inspect", ws.Unsupported);
        Assert.True(r.Code == 0, r.Describe());
        Assert.Contains("unsupported op Mystery x1: mystery1", r.Out);
        Assert.Contains("fc1", r.Out);

        var json = Cli.Run("inspect", ws.Unsupported, "--json").Json();
        var ops = json.GetProperty("unsupported_ops");
        Assert.Equal(1, ops.GetArrayLength());
        Assert.Equal("Mystery", ops[0].GetProperty("op").GetString());
        Assert.Equal("com.example", ops[0].GetProperty("domain").GetString());
        Assert.Equal("mystery1", ops[0].GetProperty("nodes")[0].GetString());
        Assert.Equal(8 * 6 + 6, json.GetProperty("params").GetInt64());
    }

    [Fact]
    public void Inspect_and_run_a_model_without_declared_input_shapes()
    {
        var g = new Graph.ModelGraph { Name = "shapeless" };
        g.Inputs.Add(new Graph.ValueInfo("x", DataType.Float32, null));
        g.Nodes.Add(new Graph.Node("Relu", "relu", ["x"], ["y"]));
        g.Outputs.Add(new Graph.ValueInfo("y", DataType.Float32, null));
        var model = ws.Save(g, "shapeless.onnx");

        var r = Cli.Run("inspect", model);
        Assert.True(r.Code == 0, r.Describe());
        Assert.Contains("input 'x' has no declared shape", r.Out);

        var dir = ws.NewFolder();
        var x = ws.WriteNpy("shapeless-x.npy", Tensor.From(new float[] { -1, 2, -3 }, 3));
        Cli.Run("run", model, "--input", x, "--output-dir", dir, "--json").Json();
        Assert.Equal(new[] { 0f, 2f, 0f }, Npy.Read(Path.Combine(dir, "y.npy")).Floats.ToArray());
    }

    [Fact]
    public void Run_gives_colliding_output_names_distinct_files()
    {
        Assert.Equal(new[] { "a_b.npy", "a_b_2.npy", "c.npy", "a_b_3.npy" }, RunCommand.OutputFileNames(["a/b", "a:b", "c", "a b"]));
    }

    [Fact]
    public void Bench_json_reports_each_batch_size()
    {
        var r = Cli.Run("bench", ws.Mlp, "--batch", "1,3", "--seconds", "0.05", "--warmup", "2", "--threads", "1", "--json");
        var json = r.Json();
        var results = json.GetProperty("results");
        Assert.Equal(2, results.GetArrayLength());
        Assert.Equal(1, results[0].GetProperty("batch").GetInt32());
        Assert.Equal(3, results[1].GetProperty("batch").GetInt32());
        foreach (var x in results.EnumerateArray())
        {
            double median = x.GetProperty("median_ms").GetDouble(), p90 = x.GetProperty("p90_ms").GetDouble();
            Assert.True(median > 0);
            Assert.True(p90 >= median);
            Assert.True(x.GetProperty("runs").GetInt32() >= 10);
            Assert.True(x.GetProperty("throughput").GetDouble() > 0);
        }
        Assert.Equal(1, json.GetProperty("threads").GetInt32());
        // Progress went to stderr, as plain lines.
        Assert.Contains("batch 3:", r.Err);
    }

    [Fact]
    public void Bench_profile_times_every_layer_with_its_kernel()
    {
        var r = Cli.Run("bench", ws.Mlp, "--batch", "2", "--seconds", "0.05", "--warmup", "1", "--threads", "1", "--profile", "--json");
        var profile = r.Json().GetProperty("profiles")[0];
        Assert.Equal(2, profile.GetProperty("batch").GetInt32());
        var layers = profile.GetProperty("layers").EnumerateArray().ToList();
        // The optimized mlp: Flatten, then Gemm + Relu fused twice, then the last Gemm.
        Assert.Contains(layers, l => l.GetProperty("op").GetString() == "FusedGemm" && l.GetProperty("kernel").GetString()!.Length > 0);
        Assert.Equal(1, layers.Sum(l => l.GetProperty("share").GetDouble()), 6);
        Assert.All(layers, l => Assert.True(l.GetProperty("ms").GetDouble() >= 0));
        var human = Cli.Run("bench", ws.Mlp, "--batch", "2", "--seconds", "0.02", "--warmup", "1", "--profile", "--top", "2");
        Assert.Contains("per-layer time at batch 2", human.Out);
        Assert.Contains("per op type", human.Out);
    }

    [Fact]
    public void Bench_human_mode_prints_a_table()
    {
        var r = Cli.Run("bench", ws.Mlp, "--batch", "2", "--seconds", "0.02", "--warmup", "1");
        Assert.True(r.Code == 0, r.Describe());
        foreach (var s in new[] { "mlp.onnx on the Prunus engine", "batch", "median ms", "p90 ms", "images/s", "runs" }) Assert.Contains(s, r.Out);
    }

    private static Dictionary<string, Tensor> Reference(string model, Tensor a, Tensor b) =>
        new InferenceSession(OnnxReader.Load(model)).Run(new Dictionary<string, Tensor> { ["a"] = a, ["b"] = b });

    [Theory]
    [InlineData("position")]
    [InlineData("name")]
    [InlineData("mixed")]
    public void Run_writes_each_output_under_its_sanitized_name(string how)
    {
        var dir = Path.Combine(ws.NewFolder(), "outputs");
        string[] inputs = how switch
        {
            "position" => ["--input", ws.NpyA, "--input", ws.NpyB],
            "name" => ["--input", $"b={ws.NpyB}", "--input", $"a={ws.NpyA}"],
            _ => ["--input", $"b={ws.NpyB}", "--input", ws.NpyA],
        };
        var json = Cli.Run(["run", ws.TwoInputs, .. inputs, "--output-dir", dir, "--threads", "1", "--json"]).Json();

        var expected = Reference(ws.TwoInputs, Npy.Read(ws.NpyA), Npy.Read(ws.NpyB));
        Assert.Equal(new[] { "scaled.npy", "sum_total_0.npy" }, Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in expected)
        {
            var file = Path.Combine(dir, RunCommand.OutputFileName(name));
            Assert.Equal(file, json.GetProperty("outputs").GetProperty(name).GetString());
            var got = Npy.Read(file);
            Assert.Equal(tensor.Shape, got.Shape);
            Assert.Equal(tensor.Floats.ToArray(), got.Floats.ToArray());
        }
        // a + b computed here as well, so that a wrong binding of inputs to names cannot pass.
        var sum = Npy.Read(Path.Combine(dir, "sum_total_0.npy")).Floats.ToArray();
        var a = Npy.Read(ws.NpyA).Floats.ToArray();
        var b = Npy.Read(ws.NpyB).Floats.ToArray();
        Assert.Equal(a.Zip(b, (x, y) => x + y).ToArray(), sum);
    }

    [Fact]
    public void Run_human_mode_names_each_output_file()
    {
        var dir = ws.NewFolder();
        var r = Cli.Run("run", ws.TwoInputs, "--input", ws.NpyA, "--input", ws.NpyB, "--output-dir", dir);
        Assert.True(r.Code == 0, r.Describe());
        Assert.Contains($"sum/total:0: ", r.Out);
        Assert.Contains(Path.Combine(dir, "sum_total_0.npy"), r.Out);
        Assert.Contains(Path.Combine(dir, "scaled.npy"), r.Out);
    }

    [Theory]
    [InlineData("logits", "logits.npy")]
    [InlineData("a/b:c", "a_b_c.npy")]
    [InlineData("x y\\z..1-2_3", "x_y_z..1-2_3.npy")]
    [InlineData("ünï", "_n_.npy")]
    public void Output_names_are_sanitized(string name, string file) => Assert.Equal(file, RunCommand.OutputFileName(name));

    [Fact]
    public void Run_on_the_zoo_model_matches_the_library()
    {
        var x = Tensor.From(Enumerable.Range(0, 2 * 784).Select(i => (i % 97) / 97f).ToArray(), 2, 1, 28, 28);
        var input = ws.WriteNpy($"x-{Guid.NewGuid():N}.npy", x);
        var dir = ws.NewFolder();
        Cli.Run("run", ws.Mlp, "--input", input, "--output-dir", dir, "--json").Json();
        var expected = new InferenceSession(OnnxReader.Load(ws.Mlp)).Run(x);
        var got = Npy.Read(Path.Combine(dir, "logits.npy"));
        Assert.Equal(new[] { 2, 10 }, got.Shape);
        Assert.Equal(expected.Floats.ToArray(), got.Floats.ToArray());
    }
}
