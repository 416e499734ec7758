using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Models;
using Prunus.Quantization;
using Prunus.Quantization.Observers;
using Prunus.Quantization.Static;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Prunus.Training;
using Xunit.Abstractions;
using static Prunus.Tests.Quantization.QuantFixtures;

namespace Prunus.Tests.Quantization;

public sealed class StaticQuantizationTests(ITestOutputHelper output)
{
    private static StaticQuantizationOptions Options(CalibrationMethod method = CalibrationMethod.MinMax) =>
        new() { Calibration = method, Sampling = Sampling() };

    [Fact]
    public void Lenet5_becomes_the_qdq_format_of_onnx_runtime()
    {
        var float32 = ModelZoo.Create("lenet5", new ZooOptions { Seed = 2 });
        var result = StaticQuantizer.Quantize(float32, Bands(64, seed: 2), Options());
        var g = result.Graph;
        GraphValidation.TopologicalOrder(g);
        Assert.All(result.Layers, l => Assert.True(l.Quantized));

        foreach (var name in new[] { "conv1", "conv2", "fc1", "fc2" })
        {
            var node = g.FindNode(name)!;
            // Weight: int8 initializer -> DequantizeLinear(axis 0, one scale per output channel, zero points 0).
            var wdq = ProducerOf(g, node.Inputs[1]);
            Assert.Equal("DequantizeLinear", wdq.OpType);
            var wq = g.Initializers[wdq.Inputs[0]];
            Assert.Equal(DataType.Int8, wq.Type);
            Assert.Equal(float32.Initializers[$"{name}.weight"].Shape, wq.Shape);
            Assert.Equal(0L, wdq.Attributes["axis"].Int);
            int k = wq.Shape[0];
            Assert.Equal([k], g.Initializers[wdq.Inputs[1]].Shape);
            Assert.All(g.Initializers[wdq.Inputs[2]].Span<sbyte>().ToArray(), z => Assert.Equal(0, z));
            Assert.InRange(wq.Span<sbyte>().ToArray().Min(), -127, 127);
            // Input: QuantizeLinear -> DequantizeLinear with a uint8 zero point.
            var xdq = ProducerOf(g, node.Inputs[0]);
            Assert.Equal("DequantizeLinear", xdq.OpType);
            var xq = ProducerOf(g, xdq.Inputs[0]);
            Assert.Equal("QuantizeLinear", xq.OpType);
            Assert.Equal(DataType.UInt8, g.Initializers[xdq.Inputs[2]].Type);
            Assert.Equal(0, g.Initializers[xdq.Inputs[1]].Rank);
            // Bias: int32 with scale s_x * s_w per channel.
            var bdq = ProducerOf(g, node.Inputs[2]);
            Assert.Equal(DataType.Int32, g.Initializers[bdq.Inputs[0]].Type);
            float sx = g.Initializers[xdq.Inputs[1]].Floats[0];
            var sw = g.Initializers[wdq.Inputs[1]].Floats.ToArray();
            Assert.Equal(sw.Select(s => sx * s), g.Initializers[bdq.Inputs[1]].Floats.ToArray());
            Assert.Equal(DataType.Int32, g.Initializers[bdq.Inputs[2]].Type);
        }
        // No float weight is left: the float initializers are scales only.
        Assert.DoesNotContain(g.Initializers, kv => kv.Value.Type == DataType.Float32 && kv.Value.Rank > 1);

        // conv1 -> Q/DQ -> MaxPool -> Q/DQ with the same parameters -> conv2.
        var pool1 = ProducerOf(g, ProducerOf(g, g.FindNode("conv2")!.Inputs[0]).Inputs[0] is var q2 ? ProducerOf(g, q2).Inputs[0] : "");
        Assert.Equal("MaxPool", pool1.OpType);
        var before = ProducerOf(g, pool1.Inputs[0]);
        var after = ProducerOf(g, g.FindNode("conv2")!.Inputs[0]);
        Assert.Equal(g.Initializers[before.Inputs[1]].Floats[0], g.Initializers[after.Inputs[1]].Floats[0]);
        Assert.Equal(g.Initializers[before.Inputs[2]].Span<byte>()[0], g.Initializers[after.Inputs[2]].Span<byte>()[0]);
        // fc1 -> Relu -> Q/DQ: the Relu output is quantized, not the Gemm's.
        var relu = g.Consumers(g.FindNode("fc1")!.Outputs[0]).Single();
        Assert.Equal("Relu", relu.OpType);
        Assert.Equal("QuantizeLinear", g.Consumers(relu.Outputs[0]).Single().OpType);
        // The logits keep their name, written by a DequantizeLinear.
        Assert.Equal("DequantizeLinear", ProducerOf(g, "logits").OpType);
        Assert.Equal("logits", g.Outputs.Single().Name);
        // Names follow ONNX Runtime's quantizer.
        Assert.Contains("input_QuantizeLinear", g.Nodes.Select(n => n.Name));
        Assert.Contains("conv1.weight_quantized", g.Initializers.Keys);
        Assert.Contains("conv1.bias_quantized", g.Initializers.Keys);
    }

    [Fact]
    public void Outputs_can_stay_float_and_a_flattened_input_shares_the_input_parameters()
    {
        var graph = ModelZoo.Create("mlp", new ZooOptions { Seed = 2 });
        var result = StaticQuantizer.Quantize(graph, Bands(32, seed: 2), Options() with { QuantizeOutputs = false });
        var g = result.Graph;
        Assert.Equal("Gemm", ProducerOf(g, "logits").OpType);
        Assert.Equal("DequantizeLinear", ProducerOf(g, g.FindNode("fc3")!.Inputs[0]).OpType);
        Assert.DoesNotContain(result.Activations.Keys, k => k == "logits");
        // input -> Q/DQ -> Flatten -> Q/DQ: the flattened images use the images' own min/max parameters.
        var fc1Input = ProducerOf(g, g.FindNode("fc1")!.Inputs[0]);
        var imagesDq = ProducerOf(g, ProducerOf(g, ProducerOf(g, fc1Input.Inputs[0]).Inputs[0]).Inputs[0]);
        Assert.Equal("DequantizeLinear", imagesDq.OpType);
        Assert.Equal(result.Activations["input"].Scale, g.Initializers[fc1Input.Inputs[1]].Floats[0]);
        Assert.Equal(result.Activations["input"].Scale, result.Activations[ProducerOf(g, fc1Input.Inputs[0]).Inputs[0]].Scale);
    }

    [Theory]
    [InlineData("conv1")]
    [InlineData("conv2")]
    [InlineData("fc1")]
    [InlineData("fc2")]
    public void Any_layer_can_be_quantized_alone_with_the_parameters_it_has_among_all(string name)
    {
        var graph = StaticQuantizer.Prepare(ModelZoo.Create("lenet5", new ZooOptions { Seed = 2 }), withBiases: true);
        var layers = QuantizableLayer.Find(graph);
        var layout = new QdqLayout(graph, layers);
        var calibrated = layout.CalibratedTensors();
        var all = layout.Points(layers);
        var alone = layout.Points(layers.Where(l => l.Name == name).ToList());
        Assert.All(alone.Values, s => Assert.Contains(s, calibrated));
        foreach (var (t, s) in alone) if (all.TryGetValue(t, out var a)) Assert.Equal(a, s);
        var layer = layers.Single(l => l.Name == name);
        Assert.Contains(layer.Input, alone.Keys);
        // conv2 alone: its input (the MaxPool output) uses conv1's output parameters, though conv1 stays float.
        if (name == "conv2") Assert.Equal(layers.Single(l => l.Name == "conv1").Output, alone[layer.Input]);
    }

    [Fact]
    public void The_input_graph_is_not_changed()
    {
        var graph = ModelZoo.Create("mlp", new ZooOptions { Seed = 2 });
        var bytes = Prunus.Graph.Onnx.OnnxWriter.ToBytes(graph);
        StaticQuantizer.Quantize(graph, Bands(32, seed: 2), Options());
        Assert.Equal(bytes, Prunus.Graph.Onnx.OnnxWriter.ToBytes(graph));
    }

    [Theory]
    [InlineData(CalibrationMethod.MinMax)]
    [InlineData(CalibrationMethod.MovingAverage)]
    [InlineData(CalibrationMethod.Percentile)]
    [InlineData(CalibrationMethod.Entropy)]
    [InlineData(CalibrationMethod.Mse)]
    public void Quantized_lenet5_outputs_stay_close_to_float(CalibrationMethod method)
    {
        var graph = Train("lenet5");
        var result = StaticQuantizer.Quantize(graph, Bands(256, seed: 4), Options(method) with { Sampling = Sampling(256) });
        var x = new Tensor(DataType.Float32, [64, 1, 28, 28], new float[64 * 784]);
        Bands(64, seed: 5).FillBatch(Enumerable.Range(0, 64).ToArray(), 0, 64, x, new int[64]);
        var expected = Run(graph, x);
        var got = Run(result.Graph, x);
        double scale = expected.Max(Math.Abs), worst = expected.Zip(got, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{method}: max |float - int8| = {worst:G3} of max |float| {scale:G3}");
        Assert.True(worst <= QuantizationBudgets.StaticOutputRelative * scale, $"{method}: {worst} > {QuantizationBudgets.StaticOutputRelative} x {scale}");
        Assert.True(worst > 0, "the quantized model should differ from the float one");
    }

    private static float[] Run(ModelGraph g, Tensor x) =>
        new InferenceSession(g, new PlanOptions { Pool = TestPools.Two }).Run(new Dictionary<string, Tensor> { [g.Inputs[0].Name] = x })[g.Outputs[0].Name].Floats.ToArray();

    [Fact]
    public void Static_int8_of_a_trained_model_loses_little_accuracy()
    {
        var graph = Train("lenet5");
        var test = Bands(1000, seed: 9);
        double before = new Evaluator(graph, 500, TestPools.Two).Evaluate(test).Accuracy;
        var result = StaticQuantizer.Quantize(graph, Bands(256, seed: 4), Options() with { Sampling = Sampling(256) });
        double after = new Evaluator(result.Graph, 500, TestPools.Two).Evaluate(test).Accuracy;
        output.WriteLine($"lenet5 on bands: float {before:F4}, int8 {after:F4}");
        Assert.True(before > 0.5, $"the model should have learned something (accuracy {before})");
        Assert.True((before - after) * 100 <= QuantizationBudgets.StaticAccuracyPoints, $"float {before:F4} -> int8 {after:F4}");
    }

    [Fact]
    public void Per_tensor_weights_and_int8_symmetric_activations()
    {
        var options = Options() with
        {
            Weights = QuantizationSpec.DefaultWeights with { Granularity = ScaleGranularity.PerTensor },
            Activations = new QuantizationSpec(QuantizedType.Int8, Symmetric: true),
        };
        var g = StaticQuantizer.Quantize(ModelZoo.Create("mlp", new ZooOptions { Seed = 2 }), Bands(32, seed: 2), options).Graph;
        foreach (var dq in g.Nodes.Where(n => n.OpType == "DequantizeLinear"))
        {
            Assert.False(dq.Attributes.ContainsKey("axis"));
            Assert.Equal(0, g.Initializers[dq.Inputs[1]].Rank);
            var x = g.Initializers.GetValueOrDefault(dq.Inputs[0]);
            var zp = g.Initializers[dq.Inputs[2]];
            if (x is null) // an activation: int8 symmetric, zero point 0
            {
                Assert.Equal(DataType.Int8, zp.Type);
                Assert.Equal(0, zp.Span<sbyte>()[0]);
            }
        }
    }

    [Fact]
    public void Bias_correction_removes_the_mean_output_shift()
    {
        var graph = Train("mlp");
        var data = Bands(256, seed: 4);
        // Coarse 8-bit weights on purpose: per-tensor ranges shift the means more.
        var options = Options() with { Sampling = Sampling(256), Weights = QuantizationSpec.DefaultWeights with { Granularity = ScaleGranularity.PerTensor } };
        var plain = StaticQuantizer.Quantize(graph, data, options with { BiasCorrection = false });
        var corrected = StaticQuantizer.Quantize(graph, data, options);
        Assert.True(corrected.LargestBiasCorrection > 0);
        var x = new Tensor(DataType.Float32, [256, 1, 28, 28], new float[256 * 784]);
        data.FillBatch(Enumerable.Range(0, 256).ToArray(), 0, 256, x, new int[256]);
        var expected = Run(graph, x);
        double Shift(float[] got)
        {
            // Largest |mean over images of (float - int8)| over the 10 logits.
            double worst = 0;
            for (int k = 0; k < 10; k++)
            {
                double s = 0;
                for (int n = 0; n < 256; n++) s += expected[n * 10 + k] - got[n * 10 + k];
                worst = Math.Max(worst, Math.Abs(s / 256));
            }
            return worst;
        }
        double before = Shift(Run(plain.Graph, x)), after = Shift(Run(corrected.Graph, x));
        output.WriteLine($"largest mean logit shift: {before:G3} without, {after:G3} with bias correction");
        Assert.True(after < before, $"{after} >= {before}");
    }

    [Fact]
    public void Excluded_layers_stay_float_and_unknown_names_are_refused()
    {
        var graph = ModelZoo.Create("mlp", new ZooOptions { Seed = 2 });
        var result = StaticQuantizer.Quantize(graph, Bands(32, seed: 2), Options() with { Exclude = ["fc3"] });
        var fc3 = result.Graph.FindNode("fc3")!;
        Assert.Equal("fc3.weight", fc3.Inputs[1]);
        Assert.Equal(DataType.Float32, result.Graph.Initializers["fc3.weight"].Type);
        Assert.Contains(result.Layers, l => l.Name == "fc3" && !l.Quantized && l.Reason == "excluded");
        // fc2's output (fc3's input) is still quantized as fc2's output.
        Assert.Equal("DequantizeLinear", ProducerOf(result.Graph, fc3.Inputs[0]).OpType);
        Assert.Contains("'fc9'", Assert.Throws<ArgumentException>(() =>
            StaticQuantizer.Quantize(graph, Bands(32, seed: 2), Options() with { Exclude = ["fc9"] })).Message);
    }

    [Fact]
    public void Models_without_float_weights_are_refused_with_a_reason()
    {
        var b = new GraphBuilder("relu-only");
        b.Output(b.Relu(b.Input("input", Dim.Sym("N"), 1, 28, 28)), "y");
        var e = Assert.Throws<ModelException>(() => StaticQuantizer.Quantize(b.Build(), Bands(8, seed: 1), Options()));
        Assert.Contains("nothing to quantize", e.Message);
        var quantized = StaticQuantizer.Quantize(ModelZoo.Create("mlp"), Bands(8, seed: 1), Options()).Graph;
        Assert.Contains("already quantized", Assert.Throws<ModelException>(() => StaticQuantizer.Quantize(quantized, Bands(8, seed: 1), Options())).Message);
    }

    [Fact]
    public void Per_channel_weights_need_opset_13()
    {
        var graph = ModelZoo.Create("mlp");
        graph.Metadata.Opsets[""] = 11;
        Assert.Contains("opset 13", Assert.Throws<ModelException>(() => StaticQuantizer.Quantize(graph, Bands(8, seed: 1), Options())).Message);
        var perTensor = Options() with { Weights = QuantizationSpec.DefaultWeights with { Granularity = ScaleGranularity.PerTensor } };
        Assert.Equal(11, StaticQuantizer.Quantize(graph, Bands(8, seed: 1), perTensor).Graph.Metadata.Opset);
    }

    [Fact]
    public void BatchNormalization_is_folded_before_quantizing()
    {
        var graph = ModelZoo.Create("resnet", new ZooOptions { Seed = 1, Depth = 8, Width = 0.5f });
        var result = StaticQuantizer.Quantize(graph, Bands(16, seed: 1), Options() with { Sampling = Sampling(16) });
        Assert.DoesNotContain(result.Graph.Nodes, n => n.OpType == "BatchNormalization");
        Assert.Equal(graph.Nodes.Count(n => n.OpType == "Conv") + 1, result.Layers.Count(l => l.Quantized));
        var x = new Tensor(DataType.Float32, [4, 1, 28, 28], new float[4 * 784]);
        Bands(4, seed: 3).FillBatch([0, 1, 2, 3], 0, 4, x, new int[4]);
        var expected = Run(graph, x);
        var got = Run(result.Graph, x);
        double scale = expected.Max(Math.Abs);
        Assert.True(expected.Zip(got, (a, c) => Math.Abs(a - c)).Max() <= 0.1 * scale);
    }
}
