using Prunus.Graph.Onnx;
using Prunus.Tensors;

namespace Prunus.Tests.Cli;

/// <summary>prunus quantize --mode weight-only and --mode qat.</summary>
public sealed class CliQuantizeLowBitTests(CliWorkspace ws) : IClassFixture<CliWorkspace>
{
    private CliResult Quantize(string output, params string[] more) =>
        Cli.Run(["quantize", ws.Mlp, "--data", ws.DataGz, "--threads", "1", "--out", output, "--latency-batch", "0", .. more]);

    private string NewOutput() => Path.Combine(ws.NewFolder(), "q.onnx");

    [Fact]
    public void Weight_only_int4_writes_blocked_dequantizers_and_a_file_about_a_sixth_of_the_size()
    {
        var input = Cli.Hashes(ws.Mlp);
        var output = NewOutput();
        var json = Quantize(output, "--mode", "weight-only", "--bits", "4", "--json").Json();
        Assert.Equal(input, Cli.Hashes(ws.Mlp));
        Assert.Equal("weight-only", json.GetProperty("mode").GetString());
        Assert.Equal(4, json.GetProperty("bits").GetInt32());
        Assert.Equal(32, json.GetProperty("group_size").GetInt32());
        Assert.Equal("rtn", json.GetProperty("rounding").GetString());
        Assert.Equal("float", json.GetProperty("activations").GetString());
        Assert.InRange(json.GetProperty("accuracy").GetDouble(), 0, 1);
        double ratio = json.GetProperty("before").GetProperty("file_bytes").GetDouble() / json.GetProperty("file_bytes").GetDouble();
        Assert.InRange(ratio, 6.0, 8.0); // 4 bits and a float scale per 32 weights: 6.4x
        Assert.Equal(3, json.GetProperty("layers").GetArrayLength());
        var graph = OnnxReader.Load(output);
        Assert.Equal(21, graph.Metadata.Opset);
        Assert.Equal(3, graph.Nodes.Count(n => n.OpType == "DequantizeLinear" && n.Attributes["block_size"].Int == 32));
        Assert.Equal(6, graph.Initializers.Values.Count(t => t.Type == DataType.Int4)); // values and zero points
        Assert.DoesNotContain(graph.Nodes, n => n.OpType == "QuantizeLinear");
        Assert.StartsWith("weight-only", graph.Metadata.Properties["prunus.quantization"]);
    }

    [Fact]
    public void Weight_only_gptq_calibrates_on_training_images()
    {
        var r = Quantize(NewOutput(), "--mode", "weight-only", "--rounding", "gptq", "--act-order", "--group-size", "0", "--asymmetric", "--calibration-images", "64");
        Assert.Equal(0, r.Code);
        foreach (var text in new[] { "GPTQ act-order", "uint8 per-channel", "before", "after", "fc1" }) Assert.Contains(text, r.Out);
    }

    [Fact]
    public void Qat_trains_reports_the_post_training_accuracy_and_writes_a_qdq_file()
    {
        var output = NewOutput();
        var json = Quantize(output, "--mode", "qat", "--epochs", "1", "--lsq", "--lr", "0.005", "--calibration-images", "64", "--float-outputs", "--json").Json();
        Assert.True(json.GetProperty("float_outputs").GetBoolean());
        Assert.Equal("qat", json.GetProperty("mode").GetString());
        Assert.True(json.GetProperty("lsq").GetBoolean());
        Assert.Equal(0.005, json.GetProperty("lr").GetDouble());
        Assert.InRange(json.GetProperty("post_training_accuracy").GetDouble(), 0, 1);
        Assert.InRange(json.GetProperty("accuracy").GetDouble(), 0, 1);
        var epochs = json.GetProperty("training");
        Assert.Equal(1, epochs.GetArrayLength());
        Assert.True(epochs[0].GetProperty("loss").GetDouble() > 0);
        double ratio = json.GetProperty("file_bytes").GetDouble() / json.GetProperty("before").GetProperty("file_bytes").GetDouble();
        Assert.InRange(ratio, 0.2, 0.3); // int8 weights
        var graph = OnnxReader.Load(output);
        Assert.Contains(graph.Nodes, n => n.OpType == "QuantizeLinear");
        Assert.DoesNotContain(graph.Nodes, n => n.OpType == "FakeQuantize");
        Assert.All(graph.Initializers.Values.Where(t => t.Type == DataType.Int8 && t.Rank == 2), t => Assert.All(t.Span<sbyte>().ToArray(), v => Assert.InRange(v, -64, 64)));
        Assert.StartsWith("quantization-aware training", graph.Metadata.Properties["prunus.quantization"]);
        Assert.Equal("Gemm", graph.Producer(graph.Outputs[0].Name)!.OpType); // --float-outputs: the logits stay float
    }

    [Theory]
    [InlineData("--group-size 64", "--group-size applies to --mode weight-only")]
    [InlineData("--mode dynamic --rounding gptq", "--rounding applies to --mode weight-only")]
    [InlineData("--epochs 2", "--epochs applies to --mode qat")]
    [InlineData("--mode weight-only --lsq", "--lsq applies to --mode qat")]
    [InlineData("--mode weight-only --calibration entropy", "--calibration does not apply to --mode weight-only")]
    [InlineData("--mode weight-only --per-tensor", "--per-tensor does not apply to --mode weight-only")]
    [InlineData("--mode weight-only --act-order", "--act-order applies to --rounding gptq")]
    [InlineData("--mode weight-only --group-size -1", "--group-size must be at least 0")]
    [InlineData("--mode weight-only --bits 2", "--bits 2 is not a supported bit width")]
    [InlineData("--mode dynamic --bits 4", "--bits 4 applies to --mode weight-only or qat")]
    [InlineData("--mode qat --asymmetric", "--asymmetric does not apply to --mode qat")]
    [InlineData("--mode qat --max-loss 1", "--max-loss applies to --mode static")]
    [InlineData("--mode qat --epochs 0", "--epochs must be at least 1")]
    [InlineData("--mode qat --weight-range mse", "--weight-range applies to --mode static or dynamic")]
    [InlineData("--mode weight-only --full-range", "--full-range does not apply to --mode weight-only")]
    [InlineData("--mode qat --bits 4 --full-range", "--full-range applies to 8-bit weights")]
    public void Options_of_another_mode_are_refused_with_one_clear_line(string options, string message)
    {
        var r = Quantize(NewOutput(), options.Split(' '));
        Assert.Equal(2, r.Code);
        r.SingleError(message);
    }

    [Fact]
    public void Excluding_every_layer_leaves_nothing_to_quantize()
    {
        var r = Quantize(NewOutput(), "--mode", "weight-only", "--exclude", "fc1,fc2,fc3");
        Assert.NotEqual(0, r.Code);
        r.SingleError("nothing to quantize");
        r = Quantize(NewOutput(), "--mode", "qat", "--exclude", "fc9");
        Assert.Equal(2, r.Code);
        r.SingleError("--exclude", "'fc9'");
    }
}
