using Prunus.Graph;
using Prunus.Pruning;
using Prunus.Quantization;
using Prunus.Quantization.Qat;
using Prunus.Tensors;
using Prunus.Tests.OnnxRuntime;
using Prunus.Tests.Support;
using Prunus.Training;
using Xunit.Abstractions;
using static Prunus.Tests.Pruning.PruningFixtures;

namespace Prunus.Tests.Quantization.Qat;

/// <summary>ONNX Runtime runs the exported QDQ files and computes what the fake-quantized model computes in Prunus.</summary>
public sealed class QatOnnxRuntimeTests(ITestOutputHelper output)
{
    [OrtTheory]
    [InlineData("lenet5", false, 8)]
    [InlineData("mlp", true, 8)]
    [InlineData("resnet", false, 8)]
    [InlineData("lenet5", true, 4)]
    public void Exported_qdq_runs_in_onnx_runtime_with_prunus_outputs(string model, bool lsq, int bits)
    {
        var peer = OrtPeer.Get();
        var graph = ZooCrossCheck.Trained(model);
        var images = RandomImages(64, 1, 28, 28, classes: 10);
        // 7-bit weights: ONNX Runtime's u8s8 kernels on CPUs without VNNI (this machine's AVX2) saturate 16-bit pair
        // sums with full-range weights and would compute another model (see QuantizationSpec.ReduceRange).
        var options = new QatOptions
        {
            LearnedScales = lsq,
            Weights = new QuantizationSpec(bits == 4 ? QuantizedType.Int4 : QuantizedType.Int8, true, ScaleGranularity.PerChannel, ReduceRange: bits == 8),
            CalibrationImages = new CalibrationOptions { Images = 64, BatchSize = 32, Pool = TestPools.Two },
        };
        var qat = QatPreparation.Prepare(graph, images, options);
        using (var trainer = new Trainer(qat, images, new TrainerOptions { Epochs = 1, BatchSize = 16, LearningRate = 0.001, Seed = 4, Pool = TestPools.Two }))
            trainer.Run();
        var qdq = QatExport.ToQdq(qat);
        if (bits == 4) Assert.Contains(qdq.Initializers.Values, t => t.Type == DataType.Int4);
        var x = ZooCrossCheck.Images(8, seed: 17);
        var expected = ZooCrossCheck.RunPrunus(qat, x)["logits"];
        ZooCrossCheck.AssertInputMatters(expected, model);
        var actual = peer.Run(qdq, new Dictionary<string, Tensor> { ["input"] = x })["logits"];
        // ONNX Runtime runs integer kernels that requantize each layer's int32 sums once, where the fake quantizers
        // round float sums: a value near a rounding boundary may land one step away, and the step moves on. Allow a
        // few steps of the logits' own quantizer.
        var dq = qdq.Producer("logits")!;
        float step = qdq.Initializers[dq.Inputs[1]].Floats[0];
        double worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected.Floats[i] - actual.Floats[i]));
        // Prunus runs the QDQ file too, with the same result.
        var own = ZooCrossCheck.RunPrunus(qdq, x)["logits"];
        double ownWorst = 0;
        for (int i = 0; i < expected.Length; i++) ownWorst = Math.Max(ownWorst, Math.Abs(expected.Floats[i] - own.Floats[i]));
        output.WriteLine($"{model}: max |Prunus - ONNX Runtime| = {worst:G3} = {worst / step:G3} logit steps ({step:G3}); Prunus on the QDQ file: {ownWorst / step:G3} steps");
        Assert.True(worst <= 4 * step + 1e-6, $"{model}: ONNX Runtime differs from the fake-quantized model by {worst / step:G3} logit steps");
        Assert.True(ownWorst <= 4 * step + 1e-6, $"{model}: Prunus's QDQ plan differs from the fake-quantized model by {ownWorst / step:G3} logit steps");
    }
}
