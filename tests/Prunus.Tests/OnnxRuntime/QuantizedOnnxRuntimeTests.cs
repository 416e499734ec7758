using Prunus.Graph;
using Prunus.Quantization;
using Prunus.Quantization.Dynamic;
using Prunus.Quantization.Observers;
using Prunus.Quantization.Static;
using Prunus.Tensors;
using Prunus.Tests.Quantization;
using Prunus.Tests.Support;
using Xunit.Abstractions;

namespace Prunus.Tests.OnnxRuntime;

/// <summary>
/// ONNX Runtime loads the quantized models Prunus writes and computes what Prunus computes, within a quantization step.
/// The weights keep to 7 bits (the quantizers' default reduced range), as ONNX Runtime advises for x86 CPUs without
/// VNNI: there its uint8 x int8 kernels add pairs of products in int16 (VPMADDUBSW), which saturates for full-range
/// weights and put this machine's (AVX2) results up to 21 output steps away from the exact sums on a few images. With
/// 7-bit weights both sides compute the same integers.
/// </summary>
public sealed class QuantizedOnnxRuntimeTests(ITestOutputHelper output)
{
    private static Tensor Batch(int count, int seed)
    {
        var x = new Tensor(DataType.Float32, [count, 1, 28, 28], new float[count * 784]);
        QuantFixtures.Bands(count, seed).FillBatch(Enumerable.Range(0, count).ToArray(), 0, count, x, new int[count]);
        return x;
    }

    [OrtTheory]
    [InlineData("lenet5", CalibrationMethod.MinMax, ScaleGranularity.PerChannel, QuantizedType.UInt8)]
    [InlineData("lenet5", CalibrationMethod.Entropy, ScaleGranularity.PerTensor, QuantizedType.Int8)]
    [InlineData("mlp", CalibrationMethod.Percentile, ScaleGranularity.PerChannel, QuantizedType.UInt8)]
    public void Onnx_runtime_runs_the_static_qdq_file_within_one_output_step(string model, CalibrationMethod method, ScaleGranularity weights, QuantizedType activations)
    {
        var graph = QuantFixtures.Train(model);
        var options = new StaticQuantizationOptions
        {
            Calibration = method,
            Weights = QuantizationSpec.DefaultWeights with { Granularity = weights, ReduceRange = true },
            Activations = new QuantizationSpec(activations, Symmetric: activations == QuantizedType.Int8),
            Sampling = QuantFixtures.Sampling(128),
        };
        var q = StaticQuantizer.Quantize(graph, QuantFixtures.Bands(128, seed: 4), options).Graph;
        var x = Batch(64, seed: 6);
        var prunus = ZooCrossCheck.RunPrunus(q, x)["logits"];
        var ort = OrtPeer.Get().Run(q, new Dictionary<string, Tensor> { ["input"] = x })["logits"];
        // The logits' own QuantizeLinear/DequantizeLinear gives the step both sides round to.
        var dq = q.Nodes.Single(n => n.Outputs.Contains("logits"));
        float step = q.Initializers[dq.Inputs[1]].Floats[0];
        double worst = prunus.Floats.ToArray().Zip(ort.Floats.ToArray(), (a, b) => Math.Abs(a - b)).Max();
        int argmaxDiffers = Enumerable.Range(0, 64).Count(n => ArgMax(prunus, n) != ArgMax(ort, n));
        var message = $"{model} {method} {weights} {activations.Name()}: largest |Prunus - ONNX Runtime| = {worst:G4} = {worst / step:F2} output steps of {step:G4}; " +
            $"top class differs on {argmaxDiffers} of 64 images";
        output.WriteLine(message);
        Assert.True(worst <= QuantizationBudgets.OnnxRuntimeSteps * step * (1 + 1e-4), message);
    }

    /// <summary>
    /// A pruned and quantized LeNet-5 written compactly: its int8 weights in the gap encoding (values and one byte per
    /// gap, decoded by standard ops) are read by their DequantizeLinear; ONNX Runtime loads the file and agrees.
    /// </summary>
    [OrtFact]
    public void Onnx_runtime_runs_a_pruned_qdq_file_with_gap_encoded_int8_weights()
    {
        var graph = QuantFixtures.Train("lenet5");
        ZooCrossCheck.PruneEachWeight(graph, 0.9);
        var options = new StaticQuantizationOptions
        {
            Weights = QuantizationSpec.DefaultWeights with { ReduceRange = true },
            Sampling = QuantFixtures.Sampling(128),
        };
        var q = StaticQuantizer.Quantize(graph, QuantFixtures.Bands(128, seed: 4), options).Graph;
        var compact = new Prunus.Graph.Onnx.OnnxWriteOptions { SparseZeroFraction = 0.25, SparseFormat = Prunus.Graph.Onnx.SparseWeightFormat.Gaps };
        byte[] small = Prunus.Graph.Onnx.OnnxWriter.ToBytes(q, compact), dense = Prunus.Graph.Onnx.OnnxWriter.ToBytes(q);
        Assert.True(small.Length < dense.Length * 0.35, $"{small.Length} bytes compact against {dense.Length} dense");
        var back = Prunus.Graph.Onnx.OnnxReader.Load(small);
        foreach (var (name, t) in q.Initializers)
        {
            if (t.Type == DataType.Float32) Assert.Equal(t.Floats.ToArray(), back.Initializers[name].Floats.ToArray());
            else Assert.Equal(t.ToInt64Array(), back.Initializers[name].ToInt64Array());
        }
        Assert.Contains(q.Initializers.Values, t => t.Type == DataType.Int8 && t.Rank >= 2);
        var x = Batch(32, seed: 9);
        var prunus = ZooCrossCheck.RunPrunus(back, x)["logits"];
        var ort = OrtPeer.Get().Run(q, new Dictionary<string, Tensor> { ["input"] = x }, compact)["logits"];
        var dq = q.Nodes.Single(n => n.Outputs.Contains("logits"));
        float step = q.Initializers[dq.Inputs[1]].Floats[0];
        double worst = prunus.Floats.ToArray().Zip(ort.Floats.ToArray(), (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"{small.Length} bytes against {dense.Length} dense; largest |Prunus - ONNX Runtime| = {worst / step:F2} output steps");
        Assert.True(worst <= QuantizationBudgets.OnnxRuntimeSteps * step * (1 + 1e-4), $"{worst / step:F2} output steps apart");
    }

    private static int ArgMax(Tensor logits, int n)
    {
        var row = logits.Floats.Slice(n * 10, 10);
        int best = 0;
        for (int k = 1; k < 10; k++) if (row[k] > row[best]) best = k;
        return best;
    }

    [OrtFact]
    public void Onnx_runtime_runs_the_dynamic_file_like_prunus()
    {
        var graph = QuantFixtures.Train("mlp");
        var q = DynamicQuantizer.Quantize(graph, new DynamicQuantizationOptions { Weights = QuantizationSpec.DefaultWeights with { ReduceRange = true } }).Graph;
        var x = Batch(32, seed: 7);
        var prunus = ZooCrossCheck.RunPrunus(q, x)["logits"].Floats.ToArray();
        var ort = OrtPeer.Get().Run(q, new Dictionary<string, Tensor> { ["input"] = x })["logits"].Floats.ToArray();
        double scale = prunus.Max(Math.Abs), worst = prunus.Zip(ort, (a, b) => Math.Abs(a - b)).Max();
        output.WriteLine($"dynamic mlp: largest |Prunus - ONNX Runtime| = {worst:G4} of max |logit| {scale:G4}");
        // Both sides compute the same integer sums; only float rounding of the scale products differs.
        Assert.True(worst <= 1e-4 * Math.Max(1, scale), $"largest difference {worst} of {scale}");
    }
}
