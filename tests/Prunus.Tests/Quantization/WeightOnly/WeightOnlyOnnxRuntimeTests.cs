using Prunus.Graph.Onnx;
using Prunus.Pruning;
using Prunus.Quantization.WeightOnly;
using Prunus.Tensors;
using Prunus.Tests.OnnxRuntime;
using Prunus.Tests.Support;
using Xunit.Abstractions;
using static Prunus.Tests.Pruning.PruningFixtures;

namespace Prunus.Tests.Quantization.WeightOnly;

/// <summary>ONNX Runtime runs the weight-only files and computes what Prunus does with the same weights.</summary>
public sealed class WeightOnlyOnnxRuntimeTests(ITestOutputHelper output)
{
    [OrtTheory]
    [InlineData("mlp", 4, 32, true, false)]
    [InlineData("lenet5", 4, 32, true, true)]
    [InlineData("lenet5", 4, 128, false, false)]
    [InlineData("mlp", 8, 128, false, false)]
    [InlineData("lenet5", 8, 0, true, false)]
    public void Weight_only_files_match_onnx_runtime(string model, int bits, int group, bool symmetric, bool gptq)
    {
        var peer = OrtPeer.Get();
        var graph = ZooCrossCheck.Trained(model);
        var options = new WeightOnlyOptions
        {
            Bits = bits,
            GroupSize = group,
            Symmetric = symmetric,
            Rounding = gptq ? WeightRounding.Gptq : WeightRounding.Rtn,
            Calibration = new CalibrationOptions { Images = 64, BatchSize = 32, Pool = TestPools.Two },
        };
        var quantized = WeightOnlyQuantizer.Quantize(graph, options, gptq ? RandomImages(64, 1, 28, 28, classes: 10) : null).Graph;
        var x = ZooCrossCheck.Images(4, seed: 21);
        // Prunus runs the file as written (4-bit values packed, read back) and agrees with the float model carrying
        // the dequantized weights, and with ONNX Runtime.
        var expected = ZooCrossCheck.RunPrunus(OnnxReader.Load(OnnxWriter.ToBytes(quantized)), x);
        ZooCrossCheck.AssertInputMatters(expected["logits"], model);
        ZooCrossCheck.AssertSame(ZooCrossCheck.RunPrunus(WeightOnlyQuantizerTests.WithWeights(graph, quantized), x), expected, $"{model} weight-only, reference");
        double d = ZooCrossCheck.AssertSame(expected, peer.Run(quantized, new Dictionary<string, Tensor> { ["input"] = x }), $"{model} weight-only");
        output.WriteLine($"{model} {bits}-bit group {group}: max |Prunus - ONNX Runtime| / scale = {d:G3}");
    }
}
