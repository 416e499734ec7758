using Prunus.Graph.Onnx;
using Prunus.Graph.Planning;
using Prunus.Pruning.Structured;
using Prunus.Tests.RealModels;

namespace Prunus.Tests.Pruning.Structured;

/// <summary>Structured pruning of the models PyTorch exported (RealModels/data): groups found, and pruning exact.</summary>
public class RealModelStructuredTests
{
    public static TheoryData<string, int> Models() => new()
    {
        // Model and the number of prunable groups expected.
        { "mbv3_op13", 13 }, { "mbv3_op17", 13 }, { "mbv3_raw_op11", 13 }, { "fpn_op11", 5 }, { "vit_op17", 4 }, { "vit_op13", 4 },
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void PrunedExportComputesWhatTheSilencedOriginalComputes(string model, int prunable)
    {
        var g = RealModelFiles.Load(model);
        var a = ChannelDependencies.Find(g);
        Assert.Equal(prunable, a.Prunable.Count);
        var selection = StructuredModels.SomeChannels(a);
        var result = ChannelPruning.Apply(a, selection);
        Assert.True(result.Report.ParametersRemoved > 0.1);
        var inputs = RealModelFiles.Inputs(model, 3);
        var pruned = new InferenceSession(OnnxReader.Load(OnnxWriter.ToBytes(result.Graph)), new PlanOptions()).Run(inputs);
        var expected = new InferenceSession(ChannelPruning.Silence(a, selection), new PlanOptions()).Run(inputs);
        foreach (var (name, y) in expected)
            Assert.True(StructuredModels.RelativeError(pruned[name].Floats.ToArray(), y.Floats.ToArray()) < 1e-5, $"{model} {name}");
    }

    [Theory]
    [InlineData("vit_op17")]
    [InlineData("vit_op13")]
    public void TransformerHiddenSizeIsKeptForItsLayerNormsAndHeadsGoWhole(string model)
    {
        var g = RealModelFiles.Load(model);
        var a = ChannelDependencies.Find(g);
        Assert.False(a.GroupOf("/embed/Conv").IsPrunable); // normalized across channels (opset 13 spells LayerNorm out)
        Assert.True(a.GroupOf("/layers.0/fc1/MatMul").IsPrunable);
        // PyTorch computes both reshape targets from x.shape: [n, s, 3, heads, hidden / heads] to split the heads and
        // [n, s, hidden] to merge them. Heads go whole; the head count and the merged size are rewritten.
        var heads = a.GroupOf("/layers.0/attn/qkv/MatMul");
        Assert.True(heads.IsPrunable, heads.Reason);
        Assert.Equal(4, heads.Channels);
        Assert.Equal(2, heads.MembersOf(MemberRole.TargetPiece).Count());
        var result = ChannelPruning.Apply(a, new ChannelSelection().Remove(heads, 1));
        Assert.Equal([32, 72], result.Graph.Initializers[g.FindNode("/layers.0/attn/qkv/MatMul")!.Inputs[1]].Shape);
        Assert.Equal([24, 32], result.Graph.Initializers[g.FindNode("/layers.0/attn/proj/MatMul")!.Inputs[1]].Shape);
    }

    [Fact]
    public void PyramidSharesItsHeadAcrossLevelsAndPrunesGroupNormByGroups()
    {
        var a = ChannelDependencies.Find(RealModelFiles.Load("fpn_op11"));
        var tower = a.GroupOf("/tower/tower.0/Conv");
        // One head applied at the three levels (its parameters shared through Identity nodes), GroupNorm(4, 24) exported
        // as Reshape + InstanceNormalization + Reshape + Mul + Add: four removable norm groups of six channels.
        Assert.Equal(["/tower/tower.0/Conv", "/tower/tower.0_1/Conv", "/tower/tower.0_2/Conv"], tower.Producers);
        Assert.True(tower.IsPrunable, tower.Reason);
        Assert.Equal(4, tower.Channels);
        Assert.True(a.GroupOf("/l1/Conv").IsPrunable); // laterals joined through the top-down Adds and Resizes
        Assert.Contains("graph output", a.GroupOf("/predict/Conv").Reason);
    }
}
