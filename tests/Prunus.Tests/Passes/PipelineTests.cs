using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Ops;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Models;
using Prunus.Tests.Support;
using static Prunus.Tests.Passes.PassTestSupport;

namespace Prunus.Tests.Passes;

public class PipelineTests
{
    public static TheoryData<string, string> ZooModels() => new()
    {
        { "resnet", "hardswish" },
        { "mobilenet", "hardswish" },
        { "mobilenet", "relu6" },
    };

    [Theory]
    [MemberData(nameof(ZooModels))]
    public void Inference_pipeline_removes_every_batch_norm_from_zoo_models(string model, string activation)
    {
        var g = RandomizeBatchNorms(ModelZoo.Create(model, new ZooOptions { Seed = 5, Activation = activation }));
        var optimized = PassPipeline.ForInference.Optimize(g);

        AssertSameOutputs(g, optimized, rtol: 1e-5);
        Assert.Equal(0, Count(optimized, "BatchNormalization"));
        // Each BN is gone, and so is each activation and each residual Add: all of them follow a convolution here.
        int activations = g.Nodes.Count(n => n.OpType is "Relu" or "HardSwish" or "Clip" or "HardSigmoid");
        Assert.Equal(g.Nodes.Count - Count(g, "BatchNormalization") - activations - Count(g, "Add"), optimized.Nodes.Count);
        Assert.Equal(Count(g, "Conv"), Count(optimized, "Conv") + Count(optimized, "FusedConv"));
        Assert.Equal(0, Count(optimized, "Relu") + Count(optimized, "Add"));
    }

    [Theory]
    [MemberData(nameof(ZooModels))]
    public void Export_pipeline_keeps_standard_onnx(string model, string activation)
    {
        var g = RandomizeBatchNorms(ModelZoo.Create(model, new ZooOptions { Seed = 6, Activation = activation }));
        var optimized = PassPipeline.ForExport.Optimize(g);

        AssertSameOutputs(g, optimized, rtol: 1e-5, 2);
        Assert.Equal(0, Count(optimized, "BatchNormalization"));
        Assert.All(optimized.Nodes, n => Assert.Equal("", n.Domain));
        Assert.False(optimized.Metadata.Opsets.ContainsKey(PrunusDomain.Name));
        Assert.All(PassPipeline.ForExport.Passes, p => Assert.True(p.ExportSafe));
        Assert.Contains(PassPipeline.ForInference.Passes, p => !p.ExportSafe);
    }

    [Fact]
    public void Runs_to_a_fixed_point_and_reports_what_it_did()
    {
        var g = RandomizeBatchNorms(ModelZoo.Create("resnet", new ZooOptions { Depth = 8 }));
        int before = g.Nodes.Count;
        var report = PassPipeline.ForInference.Run(g);

        Assert.True(report.Changed);
        Assert.Equal(before, report.NodesBefore);
        Assert.Equal(g.Nodes.Count, report.NodesAfter);
        Assert.True(report.Rewrites["batchnorm-folding"] > 0 && report.Rewrites["activation-fusion"] > 0, report.ToString());
        // The running statistics became unused and were dropped.
        Assert.DoesNotContain(g.Initializers.Keys, k => k.Contains("running_mean", StringComparison.Ordinal));
        // Folded weights keep their names; a conv without bias gets one named after it.
        Assert.Contains("stem.conv.weight", g.Initializers.Keys);
        Assert.Contains("stem.conv.bias", g.Initializers.Keys);
        Assert.False(PassPipeline.ForInference.Run(g).Changed);
    }

    [Fact]
    public void Inference_session_optimizes_a_copy_only_when_asked()
    {
        var g = RandomizeBatchNorms(ModelZoo.Create("mobilenet", new ZooOptions { Seed = 2 }));
        int nodes = g.Nodes.Count;
        var plain = new InferenceSession(g, new PlanOptions { Pool = TestPools.Two });
        var fast = new InferenceSession(g, new PlanOptions { Pool = TestPools.Two }, PassPipeline.ForInference);

        Assert.Same(g, plain.Graph);
        Assert.Null(plain.Optimization);
        Assert.Equal(nodes, g.Nodes.Count);
        Assert.NotSame(g, fast.Graph);
        Assert.True(fast.Optimization!.NodesAfter < nodes);
        var x = TensorAssert.Random(3, 0, 1, 2, 1, 28, 28);
        var expected = plain.Run(x);
        TensorAssert.Close(expected, fast.Run(x), 1e-4, 1e-4 * expected.Floats.ToArray().Max(Math.Abs));
    }

    [Fact]
    public void Model_summary_counts_fused_products_like_the_originals()
    {
        var g = ModelZoo.Create("mobilenet");
        var optimized = PassPipeline.ForInference.Optimize(g);
        static long ProductFlops(ModelGraph m) => Prunus.Graph.Analysis.ModelSummary.Of(m, batch: 2).Layers
            .Where(l => l.OpType.EndsWith("Conv", StringComparison.Ordinal) || l.OpType.EndsWith("Gemm", StringComparison.Ordinal)).Sum(l => l.Flops);

        Assert.Equal(ProductFlops(g), ProductFlops(optimized));
        Assert.True(ProductFlops(g) > 0);
    }

    [Fact]
    public void Optimized_graphs_survive_an_onnx_round_trip()
    {
        var g = RandomizeBatchNorms(ModelZoo.Create("mobilenet", new ZooOptions { Seed = 3, Activation = "relu6" }));
        var optimized = PassPipeline.ForInference.Optimize(g);
        var reloaded = OnnxReader.Load(OnnxWriter.ToBytes(optimized));

        Assert.Equal(PrunusDomain.Version, reloaded.Metadata.Opsets[PrunusDomain.Name]);
        Assert.Contains(reloaded.Nodes, n => n.OpType == "FusedConv" && n.Domain == PrunusDomain.Name);
        AssertSameOutputs(g, reloaded, rtol: 1e-5, 2);
    }
}
