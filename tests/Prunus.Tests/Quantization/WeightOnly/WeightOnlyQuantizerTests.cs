using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Pruning;
using Prunus.Quantization.WeightOnly;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Pruning.PruningFixtures;

namespace Prunus.Tests.Quantization.WeightOnly;

public sealed class WeightOnlyQuantizerTests
{
    private static WeightOnlyOptions Options(int bits = 4, int group = 32, WeightRounding rounding = WeightRounding.Rtn, bool symmetric = true) => new()
    {
        Bits = bits,
        GroupSize = group,
        Rounding = rounding,
        Symmetric = symmetric,
        Calibration = new CalibrationOptions { Images = 48, BatchSize = 16, Seed = 2, Pool = TestPools.Two },
    };

    private static Node DequantizerOf(ModelGraph g, Node reader)
    {
        var producer = g.Producer(reader.Inputs[1])!;
        return producer.OpType == "Reshape" ? g.Producer(producer.Inputs[0])! : producer;
    }

    [Fact]
    public void Gemm_and_matmul_weights_become_blocked_dequantizers_along_the_reduction()
    {
        var g = TwoLayers(features: 10, hidden: 6, classes: 4);
        var result = WeightOnlyQuantizer.Quantize(g, Options(group: 4));
        var q = result.Graph;
        Assert.Equal(21, q.Metadata.Opset);
        Assert.True(q.Metadata.IrVersion >= 10);
        Assert.False(q.Initializers.ContainsKey("w1"));
        Assert.False(q.Initializers.ContainsKey("w2"));
        Assert.True(g.Initializers.ContainsKey("w1")); // the input graph is untouched

        // Gemm transB = 1: W [6, 10] blocked along axis 1 in groups of 4 (the last holds 2): scales [6, 3].
        var dq1 = DequantizerOf(q, q.FindNode("fc1")!);
        Assert.Equal("DequantizeLinear", dq1.OpType);
        Assert.Equal(1, dq1.Attributes["axis"].Int);
        Assert.Equal(4, dq1.Attributes["block_size"].Int);
        Assert.Equal([6, 10], q.Initializers[dq1.Inputs[0]].Shape);
        Assert.Equal([6, 3], q.Initializers[dq1.Inputs[1]].Shape);
        Assert.Equal([6, 3], q.Initializers[dq1.Inputs[2]].Shape);
        // MatMul: W [6, 4] = [K, N] blocked along axis 0: scales [2, 4].
        var dq2 = DequantizerOf(q, q.FindNode("fc2")!);
        Assert.Equal(0, dq2.Attributes["axis"].Int);
        Assert.Equal([6, 4], q.Initializers[dq2.Inputs[0]].Shape);
        Assert.Equal([2, 4], q.Initializers[dq2.Inputs[1]].Shape);

        // The file's values, read by the definition of DequantizeLinear, are the float weights within half a step.
        var weights = BlockedDequantizeReference.Materialize(q);
        foreach (var (name, dq) in new[] { ("w1", dq1), ("w2", dq2) })
        {
            var original = g.Initializers[name].Floats;
            var restored = weights.Initializers[dq.Outputs[0]].Floats;
            var scales = q.Initializers[dq.Inputs[1]].Floats.ToArray();
            for (int i = 0; i < original.Length; i++)
                Assert.True(Math.Abs(original[i] - restored[i]) <= scales.Max() / 2 * (1 + 1e-6), $"{name}[{i}]: {original[i]} became {restored[i]}");
        }
        Assert.Equal(2, result.Layers.Count);
        // fc1: 60 values and 18 zero points at 4 bits, 18 float scales; fc2: 24 values, 8 zero points, 8 scales.
        Assert.Equal(new long[] { 30 + 9 + 72, 12 + 4 + 32 }, result.Layers.Select(l => l.QuantizedBytes));
    }

    [Fact]
    public void A_conv_weight_is_blocked_over_its_flattened_reduction_and_reshaped_back()
    {
        var g = ConvModel();
        var result = WeightOnlyQuantizer.Quantize(g, Options(bits: 4, group: 5, symmetric: false));
        var q = result.Graph;
        var conv = q.Nodes.Single(n => n.OpType == "Conv");
        var reshape = q.Producer(conv.Inputs[1])!;
        Assert.Equal("Reshape", reshape.OpType);
        Assert.Equal(new long[] { 6, 2, 3, 3 }, q.Initializers[reshape.Inputs[1]].ToInt64Array());
        var dq = q.Producer(reshape.Inputs[0])!;
        Assert.Equal([6, 18], q.Initializers[dq.Inputs[0]].Shape);
        Assert.Equal([6, 4], q.Initializers[dq.Inputs[1]].Shape); // 18 in groups of 5: 5, 5, 5, 3
        Assert.Equal(DataType.UInt4, q.Initializers[dq.Inputs[0]].Type);
        Assert.Equal(DataType.UInt4, q.Initializers[dq.Inputs[2]].Type);
        Assert.All(q.Initializers[dq.Inputs[0]].Span<byte>().ToArray(), v => Assert.InRange(v, 0, 15));

        // Running the materialized file gives the outputs of the float model carrying the dequantized weights.
        var x = TensorAssert.Random(3, 0, 1, 2, 4, 5, 5);
        var materialized = BlockedDequantizeReference.Materialize(q);
        var expected = Run(WithWeights(g, result.Graph), x);
        TensorAssert.Close(expected, Run(materialized, x), 1e-5, 1e-6);
    }

    [Fact]
    public void Per_channel_int8_keeps_each_weight_shape_with_one_scale_per_output()
    {
        var g = ConvModel();
        var q = WeightOnlyQuantizer.Quantize(g, Options(bits: 8, group: 0)).Graph;
        Assert.Equal(g.Metadata.Opset, q.Metadata.Opset); // per-axis int8 needs no upgrade
        var conv = q.Nodes.Single(n => n.OpType == "Conv");
        var dq = q.Producer(conv.Inputs[1])!;
        Assert.Equal("DequantizeLinear", dq.OpType);
        Assert.False(dq.Attributes.ContainsKey("block_size"));
        Assert.Equal(0, dq.Attributes["axis"].Int);
        Assert.Equal([6, 2, 3, 3], q.Initializers[dq.Inputs[0]].Shape);
        Assert.Equal(DataType.Int8, q.Initializers[dq.Inputs[0]].Type);
        Assert.Equal([6], q.Initializers[dq.Inputs[1]].Shape);
        var fc = q.Nodes.Single(n => n.OpType == "Gemm");
        Assert.Equal(0, q.Producer(fc.Inputs[1])!.Attributes["axis"].Int); // Gemm with transB: outputs on axis 0
    }

    [Fact]
    public void Gptq_on_a_model_keeps_outputs_closer_to_float_than_round_to_nearest()
    {
        var g = ConvModel();
        var data = RandomImages(96, 4, 5, 5, classes: 3);
        var rtn = WeightOnlyQuantizer.Quantize(g, Options(bits: 4, group: 0));
        var gptq = WeightOnlyQuantizer.Quantize(g, Options(bits: 4, group: 0, rounding: WeightRounding.Gptq), data);
        Assert.All(gptq.Layers, l => Assert.True(l.GptqError >= 0));
        Assert.All(rtn.Layers, l => Assert.True(double.IsNaN(l.GptqError)));
        // Compare logits on the calibration images themselves: GPTQ minimizes exactly this error layer by layer.
        var x = Tensor.Zeros(48, 4, 5, 5);
        data.FillBatch(Enumerable.Range(0, 48).ToArray(), 0, 48, x, new int[48]);
        var reference = Run(g, x);
        double Error(WeightOnlyResult r)
        {
            var y = Run(BlockedDequantizeReference.Materialize(r.Graph), x);
            double s = 0;
            for (int i = 0; i < y.Length; i++) s += Math.Pow(y.Floats[i] - reference.Floats[i], 2);
            return Math.Sqrt(s);
        }
        double eRtn = Error(rtn), eGptq = Error(gptq);
        Assert.True(eGptq < eRtn, $"GPTQ {eGptq:G4} vs round-to-nearest {eRtn:G4}");
    }

    [Fact]
    public void Reductions_take_their_axes_as_an_input_after_the_opset_upgrade()
    {
        var g = TwoLayers();
        g.Nodes.Add(new Node("ReduceMean", "mean", ["y"], ["m"]).With("axes", AttributeValue.Of(new long[] { 1 })).With("keepdims", AttributeValue.Of(0L)));
        g.Outputs.Add(new ValueInfo("m", DataType.Float32, null));
        var q = WeightOnlyQuantizer.Quantize(g, Options(group: 3)).Graph;
        var mean = q.FindNode("mean")!;
        Assert.False(mean.Attributes.ContainsKey("axes"));
        Assert.Equal(new long[] { 1 }, q.Initializers[mean.Inputs[1]].ToInt64Array());
        var x = TensorAssert.Random(1, -1, 1, 3, 8);
        var expected = new InferenceSession(WithWeights(g, q), new PlanOptions { Pool = TestPools.One }).Run(new Dictionary<string, Tensor> { ["x"] = x });
        var actual = new InferenceSession(BlockedDequantizeReference.Materialize(q), new PlanOptions { Pool = TestPools.One }).Run(new Dictionary<string, Tensor> { ["x"] = x });
        TensorAssert.Close(expected["m"], actual["m"]);
    }

    [Theory]
    [InlineData(4, 128, 7.0)]
    [InlineData(4, 32, 6.0)]
    [InlineData(8, 0, 3.9)]
    public void Files_shrink_with_the_bits_per_weight(int bits, int group, double atLeast)
    {
        // mlp: 266,610 weights against 410 biases, so the file is nearly all weights.
        var g = Prunus.Models.ModelZoo.Create("mlp", new Prunus.Models.ZooOptions { Seed = 1 });
        var q = WeightOnlyQuantizer.Quantize(g, Options(bits: bits, group: group)).Graph;
        long before = Prunus.Graph.Onnx.OnnxWriter.ToBytes(g).Length, after = Prunus.Graph.Onnx.OnnxWriter.ToBytes(q).Length;
        double ratio = (double)before / after;
        Assert.True(ratio >= atLeast, $"{bits}-bit group {group}: {before} -> {after} bytes, {ratio:F2}x smaller; expected at least {atLeast}x");
        Assert.True(ratio <= 32.0 / bits, $"{ratio:F2}x is more than {bits}-bit values allow");
    }

    [Fact]
    public void Prunus_runs_the_file_it_writes()
    {
        var g = ConvModel();
        var q = WeightOnlyQuantizer.Quantize(g, Options(bits: 4, group: 5, symmetric: false)).Graph;
        var loaded = Prunus.Graph.Onnx.OnnxReader.Load(Prunus.Graph.Onnx.OnnxWriter.ToBytes(q));
        var dq = loaded.Nodes.First(n => n.OpType == "DequantizeLinear");
        Assert.Equal(DataType.UInt4, loaded.Initializers[dq.Inputs[0]].Type);
        var x = TensorAssert.Random(4, 0, 1, 2, 4, 5, 5);
        TensorAssert.Close(Run(BlockedDequantizeReference.Materialize(q), x), Run(loaded, x), 1e-5, 1e-6);
    }

    [Fact]
    public void Bad_requests_get_clear_errors()
    {
        var g = TwoLayers();
        var e = Assert.Throws<ArgumentException>(() => WeightOnlyQuantizer.Quantize(g, Options(rounding: WeightRounding.Gptq)));
        Assert.Contains("calibration", e.Message);
        e = Assert.Throws<ArgumentException>(() => WeightOnlyQuantizer.Quantize(g, Options() with { Ignore = ["fc1", "fc2"] }));
        Assert.Contains("nothing to quantize", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => WeightOnlyQuantizer.Quantize(g, Options(bits: 2)));
        var old = TwoLayers();
        old.Metadata.Opsets[""] = 11;
        Assert.Contains("opset", Assert.Throws<ModelException>(() => WeightOnlyQuantizer.Quantize(old, Options())).Message);
    }

    /// <summary>Output 0 of <paramref name="g"/> on its first input.</summary>
    internal static Tensor Run(ModelGraph g, Tensor x) =>
        new InferenceSession(g, new PlanOptions { Pool = TestPools.Two }).Run(new Dictionary<string, Tensor> { [g.Inputs[0].Name] = x })[g.Outputs[0].Name];

    /// <summary>The float model <paramref name="g"/> with each quantized weight replaced by the float value the quantized model dequantizes.</summary>
    internal static ModelGraph WithWeights(ModelGraph g, ModelGraph quantized)
    {
        var copy = g.Clone();
        var weights = BlockedDequantizeReference.Materialize(quantized);
        foreach (var layer in PrunableLayers.Find(copy))
        {
            var reader = quantized.FindNode(layer.Node.Name)!;
            layer.Weight.CopyFrom(weights.Initializers[reader.Inputs[1]]);
        }
        return copy;
    }
}
