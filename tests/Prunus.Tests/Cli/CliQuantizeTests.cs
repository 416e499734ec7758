using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Tensors;

namespace Prunus.Tests.Cli;

public sealed class CliQuantizeTests(CliWorkspace ws) : IClassFixture<CliWorkspace>
{
    // Latency is measured (about a second per model) only where a test looks at it.
    private CliResult Quantize(string model, string output, params string[] more) =>
        Cli.Run(["quantize", model, "--data", ws.DataGz, "--threads", "1", "--out", output,
            .. more.Contains("--calibration-images") ? more : [.. more, "--calibration-images", "64"],
            .. more.Contains("--latency-batch") ? [] : new[] { "--latency-batch", "0" }]);

    private string NewOutput() => Path.Combine(ws.NewFolder(), "q.onnx");

    [Fact]
    public void Static_quantization_reports_before_and_after_and_never_touches_its_input()
    {
        var input = Cli.Hashes(ws.Mlp);
        var output = NewOutput();
        var json = Quantize(ws.Mlp, output, "--json", "--latency-batch", "1").Json();
        Assert.Equal(input, Cli.Hashes(ws.Mlp));
        Assert.InRange(json.GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.Equal(new FileInfo(output).Length, json.GetProperty("file_bytes").GetInt64());
        var before = json.GetProperty("before");
        double ratio = json.GetProperty("file_bytes").GetDouble() / before.GetProperty("file_bytes").GetDouble();
        Assert.InRange(ratio, 0.2, 0.3); // int8 weights: about 4x smaller
        Assert.Equal(before.GetProperty("params").GetInt64(), json.GetProperty("params").GetInt64());
        Assert.True(json.GetProperty("latency_b1_ms").GetDouble() > 0);
        Assert.Equal("static", json.GetProperty("mode").GetString());
        Assert.Equal("minmax", json.GetProperty("calibration").GetString());
        var layers = json.GetProperty("layers");
        Assert.Equal(3, layers.GetArrayLength());
        Assert.All(layers.EnumerateArray(), l => Assert.True(l.GetProperty("quantized").GetBoolean()));
        var graph = OnnxReader.Load(output);
        Assert.Contains(graph.Nodes, n => n.OpType == "QuantizeLinear");
        var weights = graph.Initializers.Values.Where(t => t.Type == DataType.Int8 && t.Rank == 2).ToList();
        Assert.Equal(3, weights.Count);
        // 7-bit weights by default: every weight's channel peaks reach 64 and nothing goes beyond.
        Assert.All(weights, w => Assert.Equal(64, w.Span<sbyte>().ToArray().Max(v => Math.Abs((int)v))));
        Assert.Contains("reduced range", json.GetProperty("weights").GetString());
        Assert.StartsWith("static", graph.Metadata.Properties["prunus.quantization"]);
    }

    /// <summary>
    /// A pruned model stays sparse through quantization: the report counts int8 weights equal to their zero point as
    /// zeros, and the file stores the mostly-zero int8 weights compactly (unless --dense-file).
    /// </summary>
    [Fact]
    public void A_pruned_model_quantizes_to_a_compact_sparse_file()
    {
        var pruned = Path.Combine(ws.NewFolder(), "pruned.onnx");
        Assert.Equal(0, Cli.Run(["prune", ws.Mlp, "--out", pruned, "--sparsity", "0.9", "--epochs", "0", "--data", ws.DataGz,
            "--threads", "1", "--latency-batch", "0"]).Code);
        string compact = NewOutput(), dense = NewOutput();
        var json = Quantize(pruned, compact, "--json").Json();
        Assert.InRange(json.GetProperty("sparsity").GetDouble(), 0.89, 0.91);
        Assert.InRange(json.GetProperty("before").GetProperty("sparsity").GetDouble(), 0.89, 0.91);
        long denseBytes = Quantize(pruned, dense, "--json", "--dense-file").Json().GetProperty("file_bytes").GetInt64();
        long compactBytes = json.GetProperty("file_bytes").GetInt64();
        Assert.True(compactBytes < 0.35 * denseBytes, $"{compactBytes} bytes against {denseBytes} written densely");
        var a = OnnxReader.Load(compact);
        var b = OnnxReader.Load(dense);
        Assert.Equal(b.Initializers.Keys.Order(), a.Initializers.Keys.Order());
        foreach (var (name, t) in b.Initializers.Where(kv => kv.Value.Type == DataType.Int8))
            Assert.Equal(t.Span<sbyte>().ToArray(), a.Initializers[name].Span<sbyte>().ToArray());
    }

    [Fact]
    public void Quantize_prints_the_layers_and_a_before_after_table()
    {
        var r = Quantize(ws.Mlp, NewOutput(), "--calibration", "entropy", "--per-tensor", "--symmetric", "--activations", "int8", "--weight-range", "mse");
        Assert.Equal(0, r.Code);
        foreach (var row in new[] { "accuracy", "parameters", "file size", "before", "after", "layers", "fc1", "per-tensor", "int8 symmetric" })
            Assert.Contains(row, r.Out);
    }

    [Theory]
    [InlineData("minmax")]
    [InlineData("moving-average")]
    [InlineData("percentile")]
    [InlineData("entropy")]
    [InlineData("mse")]
    public void Every_calibration_method_runs(string method)
    {
        var json = Quantize(ws.Mlp, NewOutput(), "--calibration", method, "--json").Json();
        Assert.Equal(method, json.GetProperty("calibration").GetString());
        Assert.InRange(json.GetProperty("accuracy").GetDouble(), 0, 1);
    }

    [Fact]
    public void Full_range_weights_use_all_eight_bits()
    {
        var output = NewOutput();
        Assert.Equal(0, Quantize(ws.Mlp, output, "--full-range").Code);
        var weights = OnnxReader.Load(output).Initializers.Values.Where(t => t.Type == DataType.Int8 && t.Rank == 2);
        Assert.All(weights, w => Assert.Equal(127, w.Span<sbyte>().ToArray().Max(v => Math.Abs((int)v))));
    }

    [Fact]
    public void A_loss_budget_is_measured_on_a_held_out_split()
    {
        var json = Quantize(ws.Mlp, NewOutput(), "--max-loss", "0", "--validation", "64", "--json", "--asymmetric", "--no-bias-correction", "--float-outputs").Json();
        Assert.True(json.GetProperty("float_outputs").GetBoolean());
        var v = json.GetProperty("validation");
        Assert.Equal(64, v.GetProperty("images").GetInt32());
        Assert.True(v.GetProperty("loss_points").GetDouble() <= 1e-9, "the final choice meets the budget");
        Assert.False(json.GetProperty("bias_correction").GetBoolean());
        Assert.Contains("asymmetric", json.GetProperty("weights").GetString());
    }

    [Fact]
    public void Excluded_layers_stay_float()
    {
        var output = NewOutput();
        var json = Quantize(ws.Mlp, output, "--exclude", "fc1", "--json").Json();
        var fc1 = json.GetProperty("layers").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "fc1");
        Assert.False(fc1.GetProperty("quantized").GetBoolean());
        Assert.Equal(DataType.Float32, OnnxReader.Load(output).Initializers["fc1.weight"].Type);
    }

    [Theory]
    [InlineData("--bits", "4", "--bits 4 applies to --mode weight-only or qat")]
    [InlineData("--bits", "3", "--bits 3 is not a supported bit width")]
    [InlineData("--calibration-images", "0", "--calibration-images must be at least 1")]
    [InlineData("--max-loss", "150", "--max-loss must be between 0 and 100")]
    [InlineData("--percentile", "0", "--percentile must be between")]
    [InlineData("--calibration", "kl", "--calibration 'kl' is not one of")]
    [InlineData("--exclude", "fc9", "--exclude: ignored layer(s) 'fc9' are not quantizable layers")]
    public void Bad_options_fail_with_one_clear_line(string option, string value, string message)
    {
        var r = Quantize(ws.Mlp, NewOutput(), option, value);
        Assert.Equal(2, r.Code);
        r.SingleError(message);
    }

    [Theory]
    [InlineData("--per-channel", "--per-tensor")]
    [InlineData("--symmetric", "--asymmetric")]
    public void Flags_that_exclude_each_other_are_refused(string a, string b)
    {
        var r = Quantize(ws.Mlp, NewOutput(), a, b);
        Assert.Equal(2, r.Code);
        r.SingleError("exclude each other");
    }

    [Fact]
    public void Dynamic_quantization_writes_matmul_integer_layers()
    {
        var output = NewOutput();
        var json = Quantize(ws.Mlp, output, "--mode", "dynamic", "--json").Json();
        Assert.Equal("dynamic", json.GetProperty("mode").GetString());
        Assert.InRange(json.GetProperty("accuracy").GetDouble(), 0, 1);
        Assert.True(json.GetProperty("file_bytes").GetInt64() < json.GetProperty("before").GetProperty("file_bytes").GetInt64() / 3);
        Assert.All(json.GetProperty("layers").EnumerateArray(), l => Assert.True(l.GetProperty("quantized").GetBoolean()));
        var graph = OnnxReader.Load(output);
        Assert.Equal(3, graph.Nodes.Count(n => n.OpType == "MatMulInteger"));
        Assert.Equal(3, graph.Nodes.Count(n => n.OpType == "DynamicQuantizeLinear")); // one per layer input
    }

    [Fact]
    public void Dynamic_mode_refuses_calibration_options()
    {
        var r = Quantize(ws.Mlp, NewOutput(), "--mode", "dynamic", "--calibration", "entropy");
        Assert.Equal(2, r.Code);
        r.SingleError("--calibration applies to --mode static");
    }

    [Fact]
    public void Calibration_images_of_the_wrong_shape_are_refused()
    {
        var r = Quantize(ws.WrongInput, NewOutput());
        Assert.Equal(1, r.Code);
        r.SingleError("wrong-input.onnx", "[N,3,32,32]", "1x28x28");
    }

    [Fact]
    public void Missing_calibration_data_is_refused()
    {
        var r = Cli.Run("quantize", ws.Mlp, "--out", NewOutput(), "--data", Path.Combine(ws.Root, "no-such-folder"));
        Assert.NotEqual(0, r.Code);
        r.SingleError("no-such-folder");
    }

    [Fact]
    public void A_model_with_nothing_to_quantize_is_refused()
    {
        var b = new GraphBuilder("relu-only");
        b.Output(b.Flatten(b.Relu(b.Input("input", Dim.Sym("N"), 1, 28, 28))), "y");
        var path = ws.Save(b.Build(), "relu-only.onnx");
        var r = Quantize(path, NewOutput());
        Assert.Equal(1, r.Code);
        r.SingleError("relu-only.onnx", "nothing to quantize");

        var once = NewOutput();
        Assert.Equal(0, Quantize(ws.Mlp, once).Code);
        Quantize(once, NewOutput()).SingleError("already quantized");
    }

    [Fact]
    public void The_output_must_not_be_the_input()
    {
        var r = Quantize(ws.Mlp, ws.Mlp);
        Assert.Equal(2, r.Code);
        r.SingleError("--out", "the input model");
    }
}
