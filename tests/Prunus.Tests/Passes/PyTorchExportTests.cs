using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Ops;
using Prunus.Graph.Passes;
using static Prunus.Tests.Passes.PassTestSupport;

namespace Prunus.Tests.Passes;

/// <summary>
/// The pipelines on graphs as PyTorch exports them (Passes/data/make_models.py): the decomposed GELU and LayerNorm of
/// an opset-13 export, and a CNN whose exporter left Gemm + BatchNormalization, Clip and HardSwish.
/// </summary>
public class PyTorchExportTests
{
    private static ModelGraph Load(string name) => OnnxReader.Load(Path.Combine(AppContext.BaseDirectory, "Passes", "data", name));

    [Fact]
    public void Transformer_block_gets_its_gelus_and_layer_norm_fused()
    {
        var g = Load("torch_block_opset13.onnx");
        var optimized = PassPipeline.ForInference.Optimize(g);

        AssertSameOutputs(g, optimized, 1e-5, 1, 3);
        Assert.Equal(["FusedMatMul", "FusedMatMul", "Add", "LayerNormalization", "Gelu"], optimized.Nodes.Select(n => n.OpType));
        Assert.All(optimized.Nodes.Where(n => n.OpType != "Add"), n => Assert.Equal(PrunusDomain.Name, n.Domain));
        Assert.Equal("Gelu", optimized.Nodes[0].Attributes[PrunusDomain.ActivationAttribute].String);
        Assert.Equal("tanh", optimized.Nodes[^1].Attributes["approximate"].String);
        Assert.Equal("y", optimized.Nodes[^1].Outputs[0]);
    }

    [Fact]
    public void Export_pipeline_leaves_an_old_opset_without_ops_it_lacks()
    {
        var g = Load("torch_block_opset13.onnx");
        var optimized = PassPipeline.ForExport.Optimize(g);

        AssertSameOutputs(g, optimized, 1e-5, 2);
        Assert.All(optimized.Nodes, n => Assert.Equal("", n.Domain));
        Assert.Equal(0, Count(optimized, "LayerNormalization") + Count(optimized, "Gelu"));
        Assert.Equal(0, Count(optimized, "Constant"));   // folded into initializers
    }

    [Fact]
    public void Cnn_loses_its_batch_norm_and_activations()
    {
        var g = Load("torch_cnn_opset14.onnx");
        var optimized = PassPipeline.ForInference.Optimize(g);

        AssertSameOutputs(g, optimized, 1e-5, 1, 4);
        Assert.Equal(["FusedConv", "FusedConv", "Conv", "GlobalAveragePool", "Flatten", "FusedGemm", "Gemm"], optimized.Nodes.Select(n => n.OpType));
        Assert.Equal(["Clip", "HardSwish"], optimized.Nodes.Take(2).Select(n => n.Attributes[PrunusDomain.ActivationAttribute].String));
    }
}
