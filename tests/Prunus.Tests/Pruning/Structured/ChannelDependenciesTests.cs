using Prunus.Tests.Support;
using Prunus.Pruning.Structured;

namespace Prunus.Tests.Pruning.Structured;

public class ChannelDependenciesTests
{
    private static string[] Producers(ChannelAnalysis a, string producer) => a.GroupOf(producer).Producers.ToArray();

    [Fact]
    public void MlpHiddenFeaturesAreGroupsAndLogitsAreNot()
    {
        var a = ChannelDependencies.Find(StructuredModels.Zoo("mlp"));
        Assert.Equal(["fc1", "fc2"], a.Prunable.Select(g => g.Root));
        Assert.Equal([300, 100], a.Prunable.Select(g => g.Channels));
        var logits = Assert.Single(a.Unsupported);
        Assert.Equal("fc3", logits.Root);
        Assert.Contains("graph output 'logits'", logits.Reason);
        var fc1 = a.GroupOf("fc1");
        Assert.Equal(1, Assert.Single(fc1.MembersOf(MemberRole.ConsumerWeight)).Axis); // fc2's weight [100, 300]: input features on axis 1
        Assert.Equal("fc1.bias", Assert.Single(fc1.MembersOf(MemberRole.ProducerBias)).Tensor);
    }

    [Fact]
    public void LeNetConvChannelsMapToBlocksOfFlattenedFeatures()
    {
        var a = ChannelDependencies.Find(StructuredModels.Zoo("lenet5"));
        Assert.Equal(["conv1", "conv2", "fc1"], a.Prunable.Select(g => g.Root));
        var conv2 = a.GroupOf("conv2");
        var fc1 = Assert.Single(conv2.MembersOf(MemberRole.ConsumerWeight));
        Assert.Equal(("fc1", "fc1.weight", 1, 800), (fc1.Node, fc1.Tensor, fc1.Axis, fc1.Channels.Count));
        // conv2's 50 channels of 4x4 flatten to 800 features: feature f is channel f / 16.
        for (int f = 0; f < 800; f++) Assert.Equal(f / 16, fc1.Channels[f]);
        var conv1Consumer = Assert.Single(a.GroupOf("conv1").MembersOf(MemberRole.ConsumerWeight));
        Assert.Equal(("conv2.weight", 1), (conv1Consumer.Tensor, conv1Consumer.Axis));
    }

    [Fact]
    public void ResNetStagesJoinAcrossResidualAdds()
    {
        var a = ChannelDependencies.Find(StructuredModels.Zoo("resnet"));
        Assert.Equal(6, a.Prunable.Count);
        Assert.Equal(["stem.conv", "stage1.block1.conv2"], Producers(a, "stem.conv"));
        Assert.Equal(["stage2.block1.conv2", "stage2.block1.down.conv"], Producers(a, "stage2.block1.conv2"));
        Assert.Equal(["stage3.block1.conv2", "stage3.block1.down.conv"], Producers(a, "stage3.block1.conv2"));
        Assert.Equal(["stage1.block1.conv1"], Producers(a, "stage1.block1.conv1"));
        var stem = a.GroupOf("stem.conv");
        Assert.Equal(8, stem.Channels);
        // The residual Add's output and its ReLU shrink with the group; both stage-2 entry convs read it.
        Assert.Contains(stem.MembersOf(MemberRole.Activation), m => m.Node.StartsWith("add", StringComparison.Ordinal));
        Assert.Equal(["stage1.block1.conv1", "stage2.block1.conv1", "stage2.block1.down.conv"],
            stem.MembersOf(MemberRole.ConsumerWeight).Select(m => m.Node).Order());
        Assert.Equal(8, stem.MembersOf(MemberRole.Normalization).Count()); // stem.bn and bn2: scale, shift, mean, variance
        Assert.Equal("fc", Assert.Single(a.Unsupported).Root);
    }

    [Fact]
    public void MobileNetDepthwiseJoinsItsInputAndSqueezeExciteHasItsOwnGroup()
    {
        var a = ChannelDependencies.Find(StructuredModels.Zoo("mobilenet"));
        var stem = a.GroupOf("stem.conv");
        // block1 has no expansion: its depthwise conv and the SE's expanding conv carry the stem's channels.
        Assert.Equal(["stem.conv", "block1.se.expand"], stem.Producers);
        var dw = Assert.Single(stem.MembersOf(MemberRole.DepthwiseWeight));
        Assert.Equal(("block1.dw", 0), (dw.Node, dw.Axis));
        Assert.Single(stem.MembersOf(MemberRole.GroupAttribute));
        Assert.Equal(["block1.project", "block1.se.reduce"], stem.MembersOf(MemberRole.ConsumerWeight).Select(m => m.Node).Order());
        Assert.Equal(["block1.se.reduce"], Producers(a, "block1.se.reduce"));
        Assert.Equal(["block1.se.expand"], a.GroupOf("block1.se.reduce").MembersOf(MemberRole.ConsumerWeight).Select(m => m.Node));
        // Expanded blocks: the expand conv's group holds the depthwise conv and the SE expansion.
        var block4 = a.GroupOf("block4.expand");
        Assert.Equal(["block4.expand", "block4.se.expand"], block4.Producers);
        Assert.Contains(block4.MembersOf(MemberRole.DepthwiseWeight), m => m.Node == "block4.dw");
        // Residual blocks: the projection of a block joins the projection of the block it adds to.
        Assert.Equal(["block2.project", "block3.project"], Producers(a, "block2.project"));
        Assert.Equal(["block4.project", "block5.project"], Producers(a, "block4.project"));
        Assert.Equal("fc", Assert.Single(a.Unsupported).Root);
    }

    [Fact]
    public void ConcatenationMapsEachInputToItsOffsetRange()
    {
        var a = ChannelDependencies.Find(StructuredModels.Concat());
        var d = Assert.Single(a.GroupOf("a").MembersOf(MemberRole.ConsumerWeight));
        Assert.Equal(("d", 1), (d.Node, d.Axis));
        Assert.Equal([0, 1, 2, 3, -1, -1, -1], d.Channels);
        Assert.Equal([-1, -1, -1, -1, 0, 1, 2], Assert.Single(a.GroupOf("c").MembersOf(MemberRole.ConsumerWeight)).Channels);
        Assert.Equal(3, a.Prunable.Count);
    }

    [Fact]
    public void ResidualAddOfAConcatenationJoinsAllThreeProducers()
    {
        var a = ChannelDependencies.Find(StructuredModels.ConcatResidual());
        var g = a.GroupOf("e");
        Assert.Equal(["a", "c", "e"], g.Producers);
        Assert.Equal(7, g.Channels);
        Assert.True(g.IsPrunable);
    }

    [Fact]
    public void SplitPartsFollowTheirRanges()
    {
        var a = ChannelDependencies.Find(StructuredModels.Split());
        var s = a.GroupOf("s");
        Assert.True(s.IsPrunable);
        Assert.Equal([0, 1, 2, 3], s.MembersOf(MemberRole.ConsumerWeight).Single(m => m.Node == "p").Channels);
        Assert.Equal([4, 5, 6, 7], s.MembersOf(MemberRole.ConsumerWeight).Single(m => m.Node == "q").Channels);
        Assert.Single(s.MembersOf(MemberRole.SplitSizes));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ReshapeWithTheChannelCountInItsTargetIsFollowed(bool keepChannelAxis)
    {
        var a = ChannelDependencies.Find(StructuredModels.ReshapeTarget(keepChannelAxis));
        var r = a.GroupOf("r");
        Assert.True(r.IsPrunable, r.Reason);
        var target = Assert.Single(r.MembersOf(MemberRole.ReshapeTarget));
        Assert.Equal(("target", 1), (target.Tensor, target.Axis));
        var fc = Assert.Single(r.MembersOf(MemberRole.ConsumerWeight));
        Assert.Equal(keepChannelAxis ? 6 : 96, fc.Channels.Count);
    }

    [Fact]
    public void UnprovableReshapeIsReported()
    {
        var a = ChannelDependencies.Find(StructuredModels.UnprovableReshape());
        var r = a.GroupOf("r");
        Assert.False(r.IsPrunable);
        Assert.Contains("Reshape 'split_channels'", r.Reason);
        Assert.Contains(a.Unsupported, g => g.Root == "r");
        Assert.True(a.GroupOf("hidden").IsPrunable);
    }

    [Fact]
    public void ChannelsThatReachAGraphOutputAreReported()
    {
        var a = ChannelDependencies.Find(StructuredModels.ChannelOutput());
        Assert.Contains("graph output 'features'", a.GroupOf("a").Reason);
        Assert.True(a.GroupOf("c").IsPrunable);
    }

    [Fact]
    public void GroupedConvolutionJoinsEachGroupsInputChannelsIntoOneClass()
    {
        var a = ChannelDependencies.Find(StructuredModels.Grouped());
        var input = a.GroupOf("a");
        Assert.True(input.IsPrunable, input.Reason);
        // 'a' has 4 channels read by 2 groups of 2: two removable classes; each group writes 3 of g's 6 outputs.
        Assert.Equal([0, 0, 1, 1], Assert.Single(input.MembersOf(MemberRole.ProducerWeight)).Channels);
        Assert.Equal([0, 0, 0, 1, 1, 1], Assert.Single(input.MembersOf(MemberRole.DepthwiseWeight)).Channels);
        Assert.Equal([0, 1], Assert.Single(input.MembersOf(MemberRole.GroupAttribute)).Channels);
        Assert.Equal([0, 0, 0, 1, 1, 1], input.MembersOf(MemberRole.ConsumerWeight).Single(m => m.Node == "c").Channels);
        Assert.True(a.GroupOf("c").IsPrunable);
    }

    [Fact]
    public void GroupedConvolutionOfAnUnprunableInputIsReported()
    {
        var a = ChannelDependencies.Find(StructuredModels.Grouped(onImage: true));
        Assert.Contains("grouped convolution", a.GroupOf("g").Reason);
        Assert.True(a.GroupOf("c").IsPrunable);
    }

    [Fact]
    public void DepthwiseMultiplierRepeatsEachInputChannel()
    {
        var a = ChannelDependencies.Find(StructuredModels.DepthwiseMultiplier());
        var g = a.GroupOf("a");
        Assert.Equal([0, 0, 1, 1, 2, 2], Assert.Single(g.MembersOf(MemberRole.DepthwiseWeight)).Channels);
        Assert.Equal([0, 0, 1, 1, 2, 2], g.MembersOf(MemberRole.ConsumerWeight).Single(m => m.Node == "c").Channels);
    }

    [Fact]
    public void MixedPatternsAreFollowed()
    {
        var a = ChannelDependencies.Find(StructuredModels.Mixed());
        var c = a.GroupOf("c");
        Assert.True(c.IsPrunable, c.Reason);
        Assert.Equal(["c", "se.expand"], c.Producers);
        Assert.Equal([("scale", 1), ("shift", 0)], c.MembersOf(MemberRole.ChannelConstant).Select(m => (m.Tensor!, m.Axis)).Order());
        // After the Transpose to NHWC, the MatMul reads the channels on its weight's axis 0.
        Assert.Contains(c.MembersOf(MemberRole.ConsumerWeight), m => m.Node == "proj" && m.Axis == 0);
        Assert.True(a.GroupOf("se.reduce").IsPrunable);
        Assert.True(a.GroupOf("proj").IsPrunable);
    }

    [Fact]
    public void MatMulLayersWithBiasAddsAreGroups()
    {
        var a = ChannelDependencies.Find(StructuredModels.MatMulMlp());
        var fc1 = a.GroupOf("fc1");
        Assert.True(fc1.IsPrunable);
        Assert.Equal(16, fc1.Channels);
        Assert.Equal(("w1", 1), fc1.MembersOf(MemberRole.ProducerWeight).Select(m => (m.Tensor!, m.Axis)).Single());
        Assert.Equal(("b1", 0), fc1.MembersOf(MemberRole.ChannelConstant).Select(m => (m.Tensor!, m.Axis)).Single());
        Assert.Equal(("w2", 0), fc1.MembersOf(MemberRole.ConsumerWeight).Select(m => (m.Tensor!, m.Axis)).Single());
        Assert.False(a.GroupOf("fc2").IsPrunable);
    }

    [Fact]
    public void TargetComputedFromShapeFollowsTheChannels()
    {
        var a = ChannelDependencies.Find(StructuredModels.ViewByShape(arithmetic: false));
        var r = a.GroupOf("r");
        Assert.True(r.IsPrunable, r.Reason);
        Assert.Empty(r.MembersOf(MemberRole.ReshapeTarget)); // nothing to rewrite: the target is recomputed from the pruned tensor
        Assert.Equal(6, Assert.Single(r.MembersOf(MemberRole.ConsumerWeight)).Channels.Count);
    }

    [Fact]
    public void ChannelCountUsedInArithmeticIsReported()
    {
        var a = ChannelDependencies.Find(StructuredModels.ViewByShape(arithmetic: true));
        Assert.Contains("Mul 'times_one'", a.GroupOf("r").Reason);
    }

    [Fact]
    public void WeightsSharedByLayersJoinTheirGroups()
    {
        var a = ChannelDependencies.Find(StructuredModels.SharedWeights());
        var g = a.GroupOf("left");
        Assert.Equal(["left", "right"], g.Producers); // one conv weight read by both branches' heads
        Assert.True(g.IsPrunable, g.Reason);
        Assert.Equal(["head_left", "head_right"], a.GroupOf("head_left").Producers);
    }

    [Fact]
    public void OpsStructuredPruningDoesNotFollowAreReported()
    {
        var a = ChannelDependencies.Find(StructuredModels.CumulativeChannels());
        Assert.Contains("CumSum 'cumsum'", a.GroupOf("a").Reason);
        Assert.True(a.GroupOf("c").IsPrunable);
    }

    [Fact]
    public void GemmWithoutTransposedWeightSlicesColumnsAndRows()
    {
        var a = ChannelDependencies.Find(StructuredModels.GemmNoTranspose());
        var fc1 = a.GroupOf("fc1");
        Assert.Equal([(MemberRole.ProducerWeight, "fc1.weight", 1), (MemberRole.ProducerBias, "fc1.bias", 1), (MemberRole.ConsumerWeight, "fc2.weight", 0)],
            fc1.Members.Where(m => m.Role != MemberRole.Activation).Select(m => (m.Role, m.Tensor!, m.Axis)));
    }

    [Fact]
    public void AttentionHeadsAreTheChannelsOfOneGroupAcrossQKeyAndValue()
    {
        var a = ChannelDependencies.Find(StructuredModels.Attention());
        var heads = a.GroupOf("q");
        Assert.True(heads.IsPrunable, heads.Reason);
        Assert.Equal(["q", "k", "v"], heads.Producers);
        Assert.Equal(4, heads.Channels);
        Assert.Equal(Enumerable.Range(0, 16).Select(f => f / 4), heads.MembersOf(MemberRole.ProducerWeight).First().Channels);
        Assert.Equal(Enumerable.Range(0, 16).Select(f => f / 4), Assert.Single(heads.MembersOf(MemberRole.ConsumerWeight)).Channels);
        Assert.Equal(["heads_shape", "heads_shape", "heads_shape", "merge_shape"], heads.MembersOf(MemberRole.ReshapeTarget).Select(m => m.Tensor!));
        Assert.True(a.GroupOf("out").IsPrunable);
    }

    [Fact]
    public void GroupNormChannelsFormOneChannelPerNormGroup()
    {
        var a = ChannelDependencies.Find(StructuredModels.GroupNorm());
        var g = a.GroupOf("g");
        Assert.True(g.IsPrunable, g.Reason);
        Assert.Equal(2, g.Channels);
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1], g.MembersOf(MemberRole.ProducerWeight).Single().Channels);
    }
}
