using Prunus.Graph.Onnx;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Xunit.Abstractions;

namespace Prunus.Tests.OnnxRuntime;

/// <summary>
/// Every zoo model, trained a few steps and exported to ONNX, gives the same outputs in ONNX Runtime as in Prunus at
/// batch 1 and batch 5 through the one dynamic batch dimension; so do a model read back and written again, a pruned
/// model written with sparse initializers and a model with its weights in an external data file. One test shows that
/// the comparison notices a wrong attribute.
/// </summary>
public sealed class ZooOnnxRuntimeTests(ITestOutputHelper output)
{
    [OrtTheory]
    [InlineData("mlp")]
    [InlineData("lenet5")]
    [InlineData("resnet")]
    [InlineData("mobilenet")]
    public void Trained_zoo_model_matches_onnx_runtime_at_batch_1_and_5(string model)
    {
        var peer = OrtPeer.Get();
        var graph = ZooCrossCheck.Trained(model);
        if (graph.Nodes.Any(n => n.OpType == "BatchNormalization")) ZooCrossCheck.AssertBatchNormStatisticsMoved(graph);
        var dir = Directory.CreateTempSubdirectory("prunus-zoo-ort-");
        try
        {
            var path = Path.Combine(dir.FullName, $"{model}.onnx");
            OnnxWriter.Save(graph, path);
            foreach (var batch in new[] { 1, 5 })
            {
                var x = ZooCrossCheck.Images(batch, seed: 100 + batch);
                var input = new Dictionary<string, Tensor> { ["input"] = x };
                var expected = ZooCrossCheck.RunPrunus(graph, x);
                Assert.Equal([batch, 10], expected["logits"].Shape);
                if (batch > 1) ZooCrossCheck.AssertInputMatters(expected["logits"], model);
                double d = ZooCrossCheck.AssertSame(expected, peer.Run(path, input), $"{model} batch {batch}");
                output.WriteLine($"{model} batch {batch}: max |Prunus - ONNX Runtime| / scale = {d:G3}, max |y| = {expected["logits"].Floats.ToArray().Max(MathF.Abs):G3}");
            }
        }
        finally { dir.Delete(recursive: true); }
    }

    [OrtFact]
    public void Cross_check_detects_a_wrong_attribute()
    {
        // Guards against a blind comparison: HardSigmoid's slope 0.2 (its ONNX default) instead of the 1/6 that
        // MobileNetV3 uses, in one squeeze-excite block, must show.
        var peer = OrtPeer.Get();
        var graph = ZooCrossCheck.Trained("mobilenet");
        var x = ZooCrossCheck.Images(5, seed: 21);
        var expected = ZooCrossCheck.RunPrunus(graph, x);
        var wrong = graph.Clone();
        wrong.Nodes.First(n => n.OpType == "HardSigmoid").Attributes["alpha"] = Prunus.Graph.AttributeValue.Of(0.2f);
        var actual = peer.Run(wrong, new Dictionary<string, Tensor> { ["input"] = x });
        Assert.ThrowsAny<Xunit.Sdk.XunitException>(() => ZooCrossCheck.AssertSame(expected, actual, "wrong slope"));
    }

    [OrtFact]
    public void Model_with_external_data_matches_onnx_runtime()
    {
        var peer = OrtPeer.Get();
        var graph = ZooCrossCheck.Trained("lenet5");
        var x = ZooCrossCheck.Images(2, seed: 51);
        var dir = Directory.CreateTempSubdirectory("prunus-zoo-ort-");
        try
        {
            var path = Path.Combine(dir.FullName, "lenet5.onnx");
            OnnxWriter.Save(graph, path, new OnnxWriteOptions { ExternalDataThreshold = 1024 });
            // The weights (1.7 MB) are in the data file beside the model, not in the model itself.
            Assert.True(new FileInfo(path + ".data").Length > 1_000_000);
            Assert.True(new FileInfo(path).Length < 100_000);
            double d = ZooCrossCheck.AssertSame(ZooCrossCheck.RunPrunus(graph, x), peer.Run(path, new Dictionary<string, Tensor> { ["input"] = x }), "external data");
            output.WriteLine($"external data: max |Prunus - ONNX Runtime| / scale = {d:G3}");
        }
        finally { dir.Delete(recursive: true); }
    }

    [OrtFact]
    public void Model_read_back_and_written_again_runs_in_onnx_runtime()
    {
        var peer = OrtPeer.Get();
        // MobileNet with ReLU6 adds Clip with min and max as initializer inputs to the ops the zoo test covers.
        var graph = ZooCrossCheck.Trained("mobilenet-relu6");
        var again = OnnxReader.Load(OnnxWriter.ToBytes(graph));
        var x = ZooCrossCheck.Images(3, seed: 31);
        var expected = ZooCrossCheck.RunPrunus(graph, x);
        ZooCrossCheck.AssertInputMatters(expected["logits"], "mobilenet-relu6");
        ZooCrossCheck.AssertSame(expected, ZooCrossCheck.RunPrunus(again, x), "Prunus, original vs. read back");
        double d = ZooCrossCheck.AssertSame(expected, peer.Run(again, new Dictionary<string, Tensor> { ["input"] = x }, threads: 2), "read back and written again");
        output.WriteLine($"read back and written again: max |Prunus - ONNX Runtime| / scale = {d:G3}");
    }

    [OrtFact]
    public void Pruned_model_with_sparse_initializers_matches_onnx_runtime()
    {
        var peer = OrtPeer.Get();
        var graph = ZooCrossCheck.Trained("lenet5");
        // Zero 90% of every weight matrix and kernel, the smallest in magnitude, as one-shot magnitude pruning would.
        var pruned = new List<string>();
        foreach (var (name, t) in graph.Initializers)
        {
            if (!name.EndsWith(".weight", StringComparison.Ordinal) || t.Rank < 2) continue;
            var w = t.Floats;
            var cut = w.ToArray().Select(MathF.Abs).Order().ElementAt((int)(w.Length * 0.9));
            for (int i = 0; i < w.Length; i++) if (MathF.Abs(w[i]) < cut) w[i] = 0;
            pruned.Add(name);
        }
        Assert.Equal(4, pruned.Count);

        var options = new OnnxWriteOptions { SparseZeroFraction = 0.5 };
        var bytes = OnnxWriter.ToBytes(graph, options);
        var proto = Prunus.Graph.Onnx.Proto.ModelProto.Parser.ParseFrom(bytes);
        Assert.Equal(pruned.Order(), proto.Graph.SparseInitializer.Select(s => s.Values.Name).Order());
        Assert.True(bytes.Length * 2 < OnnxWriter.ToBytes(graph).Length, "the sparse file should be much smaller than the dense one");

        var x = ZooCrossCheck.Images(5, seed: 41);
        var expected = ZooCrossCheck.RunPrunus(graph, x);
        ZooCrossCheck.AssertInputMatters(expected["logits"], "pruned lenet5");
        ZooCrossCheck.AssertSame(expected, ZooCrossCheck.RunPrunus(OnnxReader.Load(bytes), x), "Prunus, dense vs. sparse file");
        double d = ZooCrossCheck.AssertSame(expected, peer.Run(graph, new Dictionary<string, Tensor> { ["input"] = x }, options), "sparse initializers");
        output.WriteLine($"sparse initializers: max |Prunus - ONNX Runtime| / scale = {d:G3}");
    }
}
