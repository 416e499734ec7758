using Prunus.Graph.Planning;
using Prunus.Pruning.Structured;
using Prunus.Tests.Pruning.Structured;
using Prunus.Tests.RealModels;
using Prunus.Tests.Support;

namespace Prunus.Tests.OnnxRuntime;

/// <summary>A PyTorch-exported ViT with attention heads removed (computed reshape targets rewritten) still runs in ONNX Runtime.</summary>
public sealed class HeadPruningOnnxRuntimeTests
{
    [OrtFact]
    public void Vit_without_one_head_per_layer_matches_onnx_runtime()
    {
        var peer = OrtPeer.Get();
        var g = RealModelFiles.Load("vit_op17");
        var a = ChannelDependencies.Find(g);
        var selection = new ChannelSelection()
            .Remove(a.GroupOf("/layers.0/attn/qkv/MatMul"), 2)
            .Remove(a.GroupOf("/layers.1/attn/qkv/MatMul"), 0);
        var pruned = ChannelPruning.Apply(a, selection).Graph;
        var inputs = RealModelFiles.Inputs("vit_op17", 3);
        var expected = new InferenceSession(pruned, new PlanOptions()).Run(inputs);
        var actual = peer.Run(pruned, inputs);
        foreach (var (name, y) in expected)
            Assert.True(StructuredModels.RelativeError(actual[name].Floats.ToArray(), y.Floats.ToArray()) < 1e-4, name);
    }
}
