using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Planning;
using Prunus.IO;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Xunit.Abstractions;

namespace Prunus.Tests.Quantization;

/// <summary>
/// A QDQ model laid out as ONNX Runtime's quantizer writes one (data/make_models.py) imports and runs in Prunus, gives
/// the float simulation that the script computed, and agrees with ONNX Runtime.
/// </summary>
public sealed class QdqImportTests(ITestOutputHelper output)
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Quantization", "data", name);

    /// <summary>The output's quantization step: the scale of the DequantizeLinear that writes "y".</summary>
    private static float Step(ModelGraph g) => g.Initializers[g.Nodes.Single(n => n.Outputs.Contains("y")).Inputs[1]].Floats[0];

    [Fact]
    public void An_onnx_runtime_qdq_model_imports_and_gives_its_float_simulation()
    {
        var g = OnnxReader.Load(Fixture("ort_qdq_cnn.onnx"));
        Assert.Equal("onnx.quantize", g.Metadata.ProducerName);
        Assert.Equal(1, g.Metadata.Opsets["com.microsoft"]);
        Assert.Equal(DataType.Int8, g.Initializers["conv.weight_quantized"].Type);
        Assert.Equal(DataType.Int32, g.Initializers["conv.bias_quantized"].Type);
        var x = Npy.Read(Fixture("ort_qdq_cnn.x.npy"));
        var expected = Npy.Read(Fixture("ort_qdq_cnn.y.npy")).Floats.ToArray();
        foreach (var optimized in new[] { false, true })
        {
            var session = optimized ? new InferenceSession(g, new PlanOptions { Pool = TestPools.Two }, Prunus.Graph.Passes.PassPipeline.ForInference)
                : new InferenceSession(g, new PlanOptions { Pool = TestPools.Two });
            var y = session.Run(x).Floats.ToArray();
            double worst = expected.Zip(y, (a, b) => Math.Abs(a - b)).Max();
            output.WriteLine($"{(optimized ? "optimized" : "as written")}: largest |Prunus - simulation| = {worst:G3} ({worst / Step(g):F2} steps)");
            Assert.True(worst <= Step(g) * (1 + 1e-5), $"{worst} > one step {Step(g)}");
            Assert.True(expected.Zip(y, (a, b) => a == b).Count(e => e) >= expected.Length - 1, "all but rare half-way cases are exact");
        }
    }

    [Fact]
    public void An_onnx_runtime_qdq_model_writes_back_unchanged()
    {
        var g = OnnxReader.Load(Fixture("ort_qdq_cnn.onnx"));
        var again = OnnxReader.Load(OnnxWriter.ToBytes(g));
        Assert.Equal(g.Nodes.Select(n => (n.OpType, n.Name)), again.Nodes.Select(n => (n.OpType, n.Name)));
        var x = Npy.Read(Fixture("ort_qdq_cnn.x.npy"));
        Assert.Equal(new InferenceSession(g).Run(x).Floats.ToArray(), new InferenceSession(again).Run(x).Floats.ToArray());
        Assert.Equal(0L, again.Nodes.Single(n => n.Name == "conv.weight_DequantizeLinear").Attributes["axis"].Int);
    }

    [OrtFact]
    public void Onnx_runtime_and_prunus_agree_on_the_imported_model()
    {
        var path = Fixture("ort_qdq_cnn.onnx");
        var g = OnnxReader.Load(path);
        var x = Npy.Read(Fixture("ort_qdq_cnn.x.npy"));
        var prunus = new InferenceSession(g).Run(x).Floats.ToArray();
        var ort = OrtPeer.Get().Run(path, new Dictionary<string, Tensor> { ["x"] = x })["y"].Floats.ToArray();
        double worst = prunus.Zip(ort, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"largest |Prunus - ONNX Runtime| = {worst:G3} ({worst / Step(g):F2} steps)");
        Assert.True(worst <= QuantizationBudgets.OnnxRuntimeSteps * Step(g) * (1 + 1e-5), $"largest difference {worst}, one step {Step(g)}");
    }
}
