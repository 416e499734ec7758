using Prunus.Tests.Support;
using Prunus.Graph;
using Prunus.Graph.Analysis;
using Prunus.Graph.Onnx;
using Prunus.Pruning.Structured;
using Prunus.Tensors;

namespace Prunus.Tests.Pruning.Structured;

public class ChannelSurgeryTests
{
    public static TheoryData<string> Models() => new()
    {
        "mlp", "lenet5", "resnet", "mobilenet", "concat", "concat_residual", "split", "reshape_axis", "reshape_flat", "dw2", "mixed", "matmul_mlp",
        "view_by_shape", "shared", "gemm_t0", "mobilenet_relu6", "attention", "groupnorm", "grouped",
    };

    private static ModelGraph Model(string name) => name switch
    {
        "concat" => StructuredModels.Concat(),
        "concat_residual" => StructuredModels.ConcatResidual(),
        "split" => StructuredModels.Split(),
        "reshape_axis" => StructuredModels.ReshapeTarget(true),
        "reshape_flat" => StructuredModels.ReshapeTarget(false),
        "dw2" => StructuredModels.DepthwiseMultiplier(),
        "grouped" => StructuredModels.Grouped(),
        "mixed" => StructuredModels.Mixed(),
        "matmul_mlp" => StructuredModels.MatMulMlp(),
        "view_by_shape" => StructuredModels.ViewByShape(arithmetic: false),
        "shared" => StructuredModels.SharedWeights(),
        "gemm_t0" => StructuredModels.GemmNoTranspose(),
        "attention" => StructuredModels.Attention(),
        "groupnorm" => StructuredModels.GroupNorm(),
        "mobilenet_relu6" => StructuredModels.WithRandomBatchNorm(Prunus.Models.ModelZoo.Create("mobilenet",
            new Prunus.Models.ZooOptions { Width = 0.5f, Height = 16, ImageWidth = 16, Activation = "relu6", Seed = 6 })),
        _ => StructuredModels.Zoo(name),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void PruningNothingChangesNothing(string name)
    {
        var g = Model(name);
        var x = StructuredModels.Input(g);
        var result = ChannelPruning.Apply(ChannelDependencies.Find(g), new ChannelSelection());
        Assert.NotSame(g, result.Graph);
        Assert.Equal(StructuredModels.Run(g, x), StructuredModels.Run(result.Graph, x));
        Assert.Equal(result.Report.ParametersBefore, result.Report.ParametersAfter);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void PrunedModelComputesWhatTheOriginalComputesWithTheRemovedChannelsUnread(string name)
    {
        var g = Model(name);
        var before = OnnxWriter.ToBytes(g);
        var a = ChannelDependencies.Find(g);
        var selection = StructuredModels.SomeChannels(a);
        Assert.True(selection.Total > 0);
        var result = ChannelPruning.Apply(a, selection);
        var silenced = ChannelPruning.Silence(a, selection);
        var x = StructuredModels.Input(g, batch: 3);
        var pruned = StructuredModels.Run(result.Graph, x);
        var expected = StructuredModels.Run(silenced, x);
        Assert.True(StructuredModels.RelativeError(pruned, expected) < 1e-5, $"{name}: relative error {StructuredModels.RelativeError(pruned, expected)}");
        // The removed channels mattered: the original differs.
        Assert.True(StructuredModels.RelativeError(StructuredModels.Run(g, x), expected) > 1e-4);
        Assert.True(result.Report.ParametersAfter < result.Report.ParametersBefore);
        Assert.True(result.Report.FlopsAfter < result.Report.FlopsBefore);
        Assert.Equal(before, OnnxWriter.ToBytes(g)); // the input graph is untouched
    }

    [Fact]
    public void LeNetPrunedEqualsTheOriginalWithConsumerSlicesZeroedByHand()
    {
        var g = StructuredModels.Zoo("lenet5");
        var a = ChannelDependencies.Find(g);
        var selection = new ChannelSelection().Remove(a.GroupOf("conv1"), 3, 7).Remove(a.GroupOf("conv2"), 0, 49);
        var result = ChannelPruning.Apply(a, selection);

        var reference = g.Clone();
        var conv2 = reference.Initializers["conv2.weight"].Floats; // [50, 20, 5, 5]
        var fc1 = reference.Initializers["fc1.weight"].Floats;     // [500, 800]
        for (int k = 0; k < 50; k++)
            foreach (int c in new[] { 3, 7 }) conv2.Slice((k * 20 + c) * 25, 25).Clear();
        for (int o = 0; o < 500; o++)
            foreach (int c in new[] { 0, 49 }) fc1.Slice(o * 800 + c * 16, 16).Clear();

        var x = StructuredModels.Input(g, batch: 2);
        Assert.True(StructuredModels.RelativeError(StructuredModels.Run(result.Graph, x), StructuredModels.Run(reference, x)) < 1e-5);
    }

    [Fact]
    public void LeNetPrunedHasTheExpectedShapesParametersAndFlops()
    {
        var g = StructuredModels.Zoo("lenet5");
        var a = ChannelDependencies.Find(g);
        var selection = new ChannelSelection().Remove(a.GroupOf("conv1"), 0, 1, 2, 3, 4).Remove(a.GroupOf("conv2"), Enumerable.Range(10, 10))
            .Remove(a.GroupOf("fc1"), Enumerable.Range(0, 100));
        var result = ChannelPruning.Apply(a, selection);
        var p = result.Graph.Initializers;
        Assert.Equal([15, 1, 5, 5], p["conv1.weight"].Shape);
        Assert.Equal([15], p["conv1.bias"].Shape);
        Assert.Equal([40, 15, 5, 5], p["conv2.weight"].Shape);
        Assert.Equal([400, 640], p["fc1.weight"].Shape);
        Assert.Equal([10, 400], p["fc2.weight"].Shape);
        long parameters = 15 * 25 + 15 + 40 * 15 * 25 + 40 + 400 * 640 + 400 + 10 * 400 + 10;
        Assert.Equal(parameters, result.Report.ParametersAfter);
        Assert.Equal(ModelSummary.Of(g).Parameters, result.Report.ParametersBefore);
        // conv1 24x24 outputs, conv2 8x8; multiply-adds count 2; pools, bias-free ops one per output element.
        long flops = 2L * 15 * 24 * 24 * 25 + 15 * 12 * 12 + 2L * 40 * 8 * 8 * 15 * 25 + 40 * 4 * 4 + 640
            + 2L * 400 * 640 + 400 + 2L * 10 * 400;
        Assert.Equal(flops, result.Report.FlopsAfter);
        Assert.Equal((result.Report.ParametersAfter, result.Report.FlopsAfter), ChannelPruning.Estimate(a, selection));
        Assert.Equal(["conv1", "conv2", "fc1", "fc2"], result.Report.Groups.Select(r => r.Root));
        Assert.Equal([15, 40, 400, 10], result.Report.Groups.Select(r => r.ChannelsAfter));
    }

    [Theory]
    [InlineData("resnet")]
    [InlineData("mobilenet")]
    [InlineData("split")]
    [InlineData("mixed")]
    public void EstimateMatchesTheSummaryOfThePrunedModel(string name)
    {
        var g = Model(name);
        var a = ChannelDependencies.Find(g);
        var selection = StructuredModels.SomeChannels(a);
        var result = ChannelPruning.Apply(a, selection, batch: 2);
        Assert.Equal((result.Report.ParametersAfter, result.Report.FlopsAfter), ChannelPruning.Estimate(a, selection, batch: 2));
    }

    [Theory]
    [InlineData("resnet")]
    [InlineData("mobilenet")]
    [InlineData("reshape_flat")]
    [InlineData("split")]
    public void PrunedModelExportsToOnnxAndRunsAfterReimport(string name)
    {
        var g = Model(name);
        var a = ChannelDependencies.Find(g);
        var result = ChannelPruning.Apply(a, StructuredModels.SomeChannels(a));
        var back = OnnxReader.Load(OnnxWriter.ToBytes(result.Graph));
        var x = StructuredModels.Input(g);
        Assert.Equal(StructuredModels.Run(result.Graph, x), StructuredModels.Run(back, x));
        Assert.True(OnnxWriter.ToBytes(back).Length < OnnxWriter.ToBytes(g).Length);
    }

    [Fact]
    public void DepthwiseGroupAttributeAndWeightsShrinkTogether()
    {
        var g = StructuredModels.DepthwiseMultiplier();
        var a = ChannelDependencies.Find(g);
        var result = ChannelPruning.Apply(a, new ChannelSelection().Remove(a.GroupOf("a"), 1));
        var dw = result.Graph.FindNode("dw")!;
        Assert.Equal(2, dw.Attributes["group"].Int);
        Assert.Equal([4, 1, 3, 3], result.Graph.Initializers["dw.weight"].Shape);
        Assert.Equal([5, 4, 1, 1], result.Graph.Initializers["c.weight"].Shape);
        // Channel 1 of 'a' fed depthwise outputs 2 and 3; the survivors are the old 0, 1, 4, 5.
        var before = g.Initializers["dw.weight"].Floats;
        var after = result.Graph.Initializers["dw.weight"].Floats;
        Assert.Equal(before.Slice(36, 18).ToArray(), after.Slice(18, 18).ToArray());
    }

    [Fact]
    public void GroupedConvolutionLosesWholeGroups()
    {
        var g = StructuredModels.Grouped();
        var a = ChannelDependencies.Find(g);
        var result = ChannelPruning.Apply(a, new ChannelSelection().Remove(a.GroupOf("a"), 0));
        Assert.Equal(1, result.Graph.FindNode("g")!.Attributes["group"].Int);
        Assert.Equal([2, 3, 3, 3], result.Graph.Initializers["a.weight"].Shape);
        Assert.Equal([3, 2, 3, 3], result.Graph.Initializers["g.weight"].Shape);
        Assert.Equal([5, 3, 1, 1], result.Graph.Initializers["c.weight"].Shape);
        // Group 1 (g's outputs 3..5, reading a's channels 2 and 3) survives whole.
        Assert.Equal(g.Initializers["g.weight"].Floats.Slice(54, 54).ToArray(), result.Graph.Initializers["g.weight"].Floats.ToArray());
    }

    [Fact]
    public void SplitSizesAreWrittenOut()
    {
        var g = StructuredModels.Split();
        var a = ChannelDependencies.Find(g);
        var result = ChannelPruning.Apply(a, new ChannelSelection().Remove(a.GroupOf("s"), 0, 1, 5));
        var split = result.Graph.FindNode("split")!;
        Assert.Equal([2L, 3L], result.Graph.Initializers[split.Inputs[1]].ToInt64Array());
    }

    [Theory]
    [InlineData(true, new long[] { 0, 4, -1 })]
    [InlineData(false, new long[] { -1, 64 })]
    public void ReshapeTargetsAreRewritten(bool keepChannelAxis, long[] expected)
    {
        var g = StructuredModels.ReshapeTarget(keepChannelAxis);
        var a = ChannelDependencies.Find(g);
        var result = ChannelPruning.Apply(a, new ChannelSelection().Remove(a.GroupOf("r"), 2, 5));
        Assert.Equal(expected, result.Graph.Initializers["target"].ToInt64Array());
        Assert.Equal(keepChannelAxis ? [3, 4] : [3, 64], result.Graph.Initializers["fc.weight"].Shape);
    }

    [Fact]
    public void ConcatenatedInputsLoseTheirRangesOfTheConsumer()
    {
        var g = StructuredModels.Concat();
        var a = ChannelDependencies.Find(g);
        var result = ChannelPruning.Apply(a, new ChannelSelection().Remove(a.GroupOf("a"), 0).Remove(a.GroupOf("c"), 1));
        Assert.Equal([5, 5, 3, 3], result.Graph.Initializers["d.weight"].Shape);
        var before = g.Initializers["d.weight"].Floats;
        var after = result.Graph.Initializers["d.weight"].Floats;
        // Kept input channels of d: 1, 2, 3 (from a) and 4, 6 (from c).
        int[] kept = [1, 2, 3, 4, 6];
        for (int k = 0; k < 5; k++)
            for (int i = 0; i < kept.Length; i++)
                Assert.Equal(before.Slice((k * 7 + kept[i]) * 9, 9).ToArray(), after.Slice((k * 5 + i) * 9, 9).ToArray());
    }

    [Fact]
    public void UnsupportedGroupsCannotBeSelectedAndAreLeftWhole()
    {
        var g = StructuredModels.UnprovableReshape();
        var a = ChannelDependencies.Find(g);
        var r = a.GroupOf("r");
        var e = Assert.Throws<ArgumentException>(() => ChannelPruning.Apply(a, new ChannelSelection().Remove(r, 0)));
        Assert.Contains("may not be pruned", e.Message);
        var result = ChannelPruning.Prune(g, GroupImportance.L1, new ChannelPruningOptions { Amount = 0.5 });
        Assert.Equal(g.Initializers["r.weight"].Shape, result.Graph.Initializers["r.weight"].Shape);
        // hidden (5 features) is prunable and loses 2; its input features, from the refused group, all stay.
        Assert.Equal([3, 6 * 16], result.Graph.Initializers["hidden.weight"].Shape);
        var line = result.Report.Groups.Single(l => l.Root == "r");
        Assert.False(line.Prunable);
        Assert.Equal(6, line.ChannelsAfter);
        var x = StructuredModels.Input(g);
        Assert.Equal(StructuredModels.Run(g, x).Length, StructuredModels.Run(result.Graph, x).Length);
    }

    [Fact]
    public void SelectionsThatEmptyAGroupOrLeaveRangeAreRefused()
    {
        var a = ChannelDependencies.Find(StructuredModels.Concat());
        Assert.Throws<ArgumentException>(() => ChannelPruning.Apply(a, new ChannelSelection().Remove(a.GroupOf("c"), 0, 1, 2)));
        Assert.Throws<ArgumentException>(() => ChannelPruning.Apply(a, new ChannelSelection().Remove(a.GroupOf("c"), 3)));
        Assert.Throws<ArgumentException>(() => ChannelPruning.Apply(a, new ChannelSelection().Remove(99, [0])));
    }

    [Fact]
    public void ConcatResidualRefusesToEmptyOneConcatenatedInput()
    {
        var a = ChannelDependencies.Find(StructuredModels.ConcatResidual());
        var g = a.GroupOf("e");
        // Channels 4..6 of the group are all of 'c': removing them would leave 'c' with none.
        var e = Assert.Throws<ArgumentException>(() => ChannelPruning.Apply(a, new ChannelSelection().Remove(g, 4, 5, 6)));
        Assert.Contains("every channel", e.Message);
    }

    [Fact]
    public void ClonedGraphsShareNoInitializerStorage()
    {
        var g = StructuredModels.Zoo("lenet5");
        var c = g.Clone();
        foreach (var (name, t) in g.Initializers) Assert.NotSame(t.Storage, c.Initializers[name].Storage);
        c.Initializers["conv1.weight"].Floats[0] += 1;
        Assert.NotEqual(g.Initializers["conv1.weight"].Floats[0], c.Initializers["conv1.weight"].Floats[0]);
    }

    [Fact]
    public void RemovingAHeadRemovesItsColumnsOfQKVItsRowsOfTheOutputAndRewritesHeadCounts()
    {
        var g = StructuredModels.Attention();
        var a = ChannelDependencies.Find(g);
        var result = ChannelPruning.Apply(a, new ChannelSelection().Remove(a.GroupOf("q"), 1));
        var p = result.Graph.Initializers;
        foreach (var name in new[] { "q", "k", "v" })
        {
            Assert.Equal([16, 12], p[$"{name}.weight"].Shape);
            Assert.Equal([12], p[$"{name}.bias"].Shape);
            // Head 1 held columns 4..7: the survivors are 0..3 and 8..15.
            var before = g.Initializers[$"{name}.weight"].Floats;
            Assert.Equal(before[9], p[$"{name}.weight"].Floats[5]);
        }
        Assert.Equal([12, 16], p["out.weight"].Shape);
        Assert.Equal(g.Initializers["out.weight"].Floats.Slice(8 * 16, 16).ToArray(), p["out.weight"].Floats.Slice(4 * 16, 16).ToArray());
        Assert.Equal([0L, 0, 3, 4], p["heads_shape"].ToInt64Array());
        Assert.Equal([0L, 0, 12], p["merge_shape"].ToInt64Array());
    }

    [Fact]
    public void GroupNormGroupsGoWhole()
    {
        var g = StructuredModels.GroupNorm();
        var a = ChannelDependencies.Find(g);
        var result = ChannelPruning.Apply(a, new ChannelSelection().Remove(a.GroupOf("g"), 0));
        var p = result.Graph.Initializers;
        Assert.Equal([4, 3, 3, 3], p["g.weight"].Shape);
        Assert.Equal([1], p["gn.ones"].Shape);
        Assert.Equal([4, 1, 1], p["gn.weight"].Shape);
        Assert.Equal([5, 4, 1, 1], p["c.weight"].Shape);
        Assert.Equal([0L, 1, -1], p["groups_shape"].ToInt64Array());
        Assert.Equal([0L, 4, 8, 8], p["back_shape"].ToInt64Array());
    }
}
