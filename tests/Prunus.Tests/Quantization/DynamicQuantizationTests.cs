using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Models;
using Prunus.Quantization;
using Prunus.Quantization.Dynamic;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Prunus.Training;
using Xunit.Abstractions;
using static Prunus.Tests.Quantization.QuantFixtures;

namespace Prunus.Tests.Quantization;

public sealed class DynamicQuantizationTests(ITestOutputHelper output)
{
    [Fact]
    public void Gemm_becomes_the_dynamic_pattern_of_onnx_runtime()
    {
        var graph = ModelZoo.Create("mlp", new ZooOptions { Seed = 2 });
        var result = DynamicQuantizer.Quantize(graph, new DynamicQuantizationOptions());
        var g = result.Graph;
        GraphValidation.TopologicalOrder(g);
        Assert.DoesNotContain(g.Nodes, n => n.OpType == "Gemm");
        Assert.Equal(3, g.Nodes.Count(n => n.OpType == "MatMulInteger"));
        foreach (var mm in g.Nodes.Where(n => n.OpType == "MatMulInteger"))
        {
            var dq = ProducerOf(g, mm.Inputs[0]);
            Assert.Equal("DynamicQuantizeLinear", dq.OpType);
            Assert.Equal(dq.Outputs[2], mm.Inputs[2]);
            var w = g.Initializers[mm.Inputs[1]];
            Assert.Equal(DataType.Int8, w.Type);
            int n = w.Shape[1];
            Assert.Equal([n], g.Initializers[mm.Inputs[3]].Shape); // one zero point per output column
            var cast = g.Consumers(mm.Outputs[0]).Single();
            Assert.Equal("Cast", cast.OpType);
            Assert.Equal((long)DataType.Float32, cast.Attributes["to"].Int);
            var mul = g.Consumers(cast.Outputs[0]).Single();
            Assert.Equal("Mul", mul.OpType);
            var scales = ProducerOf(g, mul.Inputs[1]);
            Assert.Equal([dq.Outputs[1], $"{mm.Name[..^"_quant".Length]}.weight_scale"], scales.Inputs);
            Assert.Equal("Add", g.Consumers(mul.Outputs[0]).Single().OpType);
        }
        // fc1 was [300, 784] with transB: MatMulInteger reads it as [784, 300].
        Assert.Equal([784, 300], g.Initializers["fc1.weight_quantized"].Shape);
        Assert.Equal("logits", g.Outputs[0].Name);
        Assert.All(result.Layers, l => Assert.True(l.Quantized));
    }

    [Theory]
    [InlineData(ScaleGranularity.PerChannel)]
    [InlineData(ScaleGranularity.PerTensor)]
    public void Dynamic_outputs_stay_close_to_float(ScaleGranularity granularity)
    {
        var graph = Train("mlp");
        var options = new DynamicQuantizationOptions { Weights = QuantizationSpec.DefaultWeights with { Granularity = granularity } };
        var q = DynamicQuantizer.Quantize(graph, options).Graph;
        var x = new Tensor(DataType.Float32, [32, 1, 28, 28], new float[32 * 784]);
        Bands(32, seed: 5).FillBatch(Enumerable.Range(0, 32).ToArray(), 0, 32, x, new int[32]);
        float[] Run(ModelGraph g) => new InferenceSession(g, new PlanOptions { Pool = TestPools.Two }).Run(x).Floats.ToArray();
        var expected = Run(graph);
        var got = Run(q);
        double scale = expected.Max(Math.Abs), worst = expected.Zip(got, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{granularity}: max |float - dynamic int8| = {worst:G3} of {scale:G3}");
        Assert.True(worst > 0 && worst <= QuantizationBudgets.DynamicOutputRelative * scale, $"{worst} vs {scale}");
        var test = Bands(500, seed: 9);
        double before = new Evaluator(graph, 250, TestPools.Two).Evaluate(test).Accuracy, after = new Evaluator(q, 250, TestPools.Two).Evaluate(test).Accuracy;
        Assert.True((before - after) * 100 <= QuantizationBudgets.StaticAccuracyPoints, $"{before} -> {after}");
    }

    [Fact]
    public void Convolutions_stay_float_and_a_conv_only_model_is_refused()
    {
        var result = DynamicQuantizer.Quantize(ModelZoo.Create("lenet5"), new DynamicQuantizationOptions());
        Assert.Equal(2, result.Graph.Nodes.Count(n => n.OpType == "Conv"));
        Assert.Contains(result.Layers, l => l.OpType == "Conv" && !l.Quantized);
        Assert.Equal(2, result.Graph.Nodes.Count(n => n.OpType == "MatMulInteger"));

        var b = new GraphBuilder("conv-only", 1);
        var x = b.Input("input", Dim.Sym("N"), 1, 8, 8);
        b.Output(b.Conv(x, 2, 3, name: "conv"), "y");
        Assert.Contains("try --mode static", Assert.Throws<ModelException>(() => DynamicQuantizer.Quantize(b.Build(), new DynamicQuantizationOptions())).Message);
    }

    [Fact]
    public void MatMul_weights_keep_their_layout()
    {
        var b = new GraphBuilder("matmul", 1);
        var x = b.Input("x", Dim.Sym("N"), 6);
        var w = b.Parameter("w", Prunus.Tests.Pruning.PruningFixtures.Random(3, 1f, 6, 4));
        b.Output(b.Node("MatMul", [x, w], null, "mm"), "y");
        var graph = b.Build();
        var q = DynamicQuantizer.Quantize(graph, new DynamicQuantizationOptions()).Graph;
        Assert.Equal([6, 4], q.Initializers["w_quantized"].Shape);
        Assert.Equal("Mul", ProducerOf(q, "y").OpType); // no bias: the scaled product is the output
        var input = TensorAssert.Random(4, -1, 1, [5, 6]);
        var expected = new InferenceSession(graph).Run(input).Floats.ToArray();
        var got = new InferenceSession(q).Run(input).Floats.ToArray();
        Assert.True(expected.Zip(got, (e, g) => Math.Abs(e - g)).Max() <= 0.02 * expected.Max(Math.Abs));
    }
}
