using Prunus.Graph.Onnx;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Xunit.Abstractions;

namespace Prunus.Tests.OnnxRuntime;

/// <summary>ONNX Runtime loads the compact sparse forms (small index types, gap encoding) and computes what Prunus does.</summary>
public sealed class SparseFileOnnxRuntimeTests(ITestOutputHelper output)
{
    [OrtTheory]
    [InlineData(SparseWeightFormat.SmallIndices)]
    [InlineData(SparseWeightFormat.Gaps)]
    public void Pruned_lenet5_in_a_compact_form_matches_onnx_runtime(SparseWeightFormat format)
    {
        var peer = OrtPeer.Get();
        var graph = ZooCrossCheck.Trained("lenet5");
        ZooCrossCheck.PruneEachWeight(graph, 0.9);
        var options = new OnnxWriteOptions { SparseZeroFraction = 0.5, SparseFormat = format };
        var x = ZooCrossCheck.Images(4, seed: 43);
        // Prunus runs the pruned weights with its sparse kernels; ONNX Runtime densifies them.
        var expected = ZooCrossCheck.RunPrunus(OnnxReader.Load(OnnxWriter.ToBytes(graph, options)), x);
        ZooCrossCheck.AssertInputMatters(expected["logits"], "pruned lenet5");
        double d = ZooCrossCheck.AssertSame(expected, peer.Run(graph, new Dictionary<string, Tensor> { ["input"] = x }, options), format.ToString());
        output.WriteLine($"{format}: {OnnxWriter.ToBytes(graph, options).Length} bytes, max |Prunus - ONNX Runtime| / scale = {d:G3}");
    }
}
