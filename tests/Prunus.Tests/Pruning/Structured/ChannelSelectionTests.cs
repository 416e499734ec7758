using Prunus.Tests.Support;
using Prunus.Graph;
using Prunus.Models;
using Prunus.Pruning.Criteria;
using Prunus.Pruning.Structured;
using Prunus.Tensors;

namespace Prunus.Tests.Pruning.Structured;

public class ChannelSelectionTests
{
    /// <summary>x [N,2,3,3] -> 1x1 conv 'f' with 2-D filters (0,0), (10,0), (0,10), (3,3) -> ReLU -> pool -> fc.</summary>
    private static ModelGraph FourFilters()
    {
        var b = new GraphBuilder("fpgm", 1);
        var x = b.Input("input", Dim.Sym("N"), 2, 3, 3);
        var f = b.Conv(x, 4, 1, name: "f");
        float[] filters = [0, 0, 10, 0, 0, 10, 3, 3];
        filters.CopyTo(b.Build().Initializers["f.weight"].Floats);
        var y = b.Flatten(b.GlobalAveragePool(b.Relu(f)));
        b.Output(b.Linear(y, 3, name: "fc"), "logits");
        return b.Build();
    }

    [Fact]
    public void FpgmScoresTheFilterNearestTheOthersLowest()
    {
        var g = FourFilters();
        var a = ChannelDependencies.Find(g);
        var group = a.GroupOf("f");
        var scores = new Fpgm().Score(a, group);
        Assert.Equal(3, Array.IndexOf(scores, scores.Min()));
        // Sums of Euclidean distances: (3,3) lies √18 from (0,0) and √58 from each of (10,0) and (0,10).
        var d = Fpgm.FilterDistances([[0, 0], [10, 0], [0, 10], [3, 3]]);
        Assert.Equal(10 + 10 + Math.Sqrt(18), d[0], 9);
        Assert.Equal(10 + Math.Sqrt(200) + Math.Sqrt(58), d[1], 9);
        Assert.Equal(Math.Sqrt(18) + 2 * Math.Sqrt(58), d[3], 9);
        var selection = ChannelPruning.Select(a, new Fpgm(), new ChannelPruningOptions { Amount = 0.25 });
        Assert.Equal([3], selection.Removed[group.Id]);
        // Magnitude would remove the zero filter instead.
        var l1 = ChannelPruning.Select(a, new GroupImportance(Magnitude.L1) { IncludeConsumers = false }, new ChannelPruningOptions { Amount = 0.25 });
        Assert.Equal([0], l1.Removed[group.Id]);
    }

    [Fact]
    public void GroupImportanceSumsEachMembersSliceAfterNormalizing()
    {
        var g = StructuredModels.MatMulMlp();
        var a = ChannelDependencies.Find(g);
        var group = a.GroupOf("fc1");
        var w1 = g.Initializers["w1"].Floats.ToArray(); // [8, 16]: channel i is column i
        var w2 = g.Initializers["w2"].Floats.ToArray(); // [16, 3]: channel i is row i
        var producer = Enumerable.Range(0, 16).Select(i => Enumerable.Range(0, 8).Sum(r => (double)Math.Abs(w1[r * 16 + i]))).ToArray();
        var consumer = Enumerable.Range(0, 16).Select(i => Enumerable.Range(0, 3).Sum(c => (double)Math.Abs(w2[i * 3 + c]))).ToArray();

        var raw = new GroupImportance(Magnitude.L1) { Normalization = MemberNormalization.None }.Score(a, group);
        for (int i = 0; i < 16; i++) Assert.Equal(producer[i] + consumer[i], raw[i], 4);
        var normalized = GroupImportance.L1.Score(a, group);
        for (int i = 0; i < 16; i++) Assert.Equal(producer[i] / producer.Average() + consumer[i] / consumer.Average(), normalized[i], 4);
        var mean = new GroupImportance(Magnitude.L1) { Aggregation = ChannelAggregation.Mean }.Score(a, group);
        for (int i = 0; i < 16; i++) Assert.Equal(normalized[i] / 2, mean[i], 5);
        var l2 = new GroupImportance(Magnitude.L2) { Normalization = MemberNormalization.None, IncludeConsumers = false }.Score(a, group);
        Assert.Equal(Enumerable.Range(0, 8).Sum(r => (double)w1[r * 16 + 5] * w1[r * 16 + 5]), l2[5], 4);
    }

    [Fact]
    public void NormalizationScaleCanJoinTheScore()
    {
        var g = StructuredModels.Zoo("resnet");
        var a = ChannelDependencies.Find(g);
        var group = a.GroupOf("stage1.block1.conv1");
        var without = new GroupImportance(Magnitude.L1) { Normalization = MemberNormalization.None, IncludeConsumers = false }.Score(a, group);
        var with = new GroupImportance(Magnitude.L1) { Normalization = MemberNormalization.None, IncludeConsumers = false, IncludeNormalizationScale = true }.Score(a, group);
        var gamma = g.Initializers["stage1.block1.bn1.weight"].Floats;
        for (int i = 0; i < group.Channels; i++) Assert.Equal(without[i] + Math.Abs(gamma[i]), with[i], 4);
    }

    [Fact]
    public void ChannelTargetRemovesTheFractionOfEveryGroup()
    {
        var a = ChannelDependencies.Find(StructuredModels.Zoo("lenet5"));
        var s = ChannelPruning.Select(a, GroupImportance.L1, new ChannelPruningOptions { Amount = 0.5 });
        Assert.Equal([10, 25, 250], a.Prunable.Select(g => s.Count(g.Id)));
        // The lowest-scoring channels go.
        var scores = GroupImportance.L1.Score(a, a.GroupOf("conv1"));
        var threshold = s.Removed[a.GroupOf("conv1").Id].Max(c => scores[c]);
        Assert.All(Enumerable.Range(0, 20).Where(c => !s.Contains(a.GroupOf("conv1").Id, c)), c => Assert.True(scores[c] >= threshold));
    }

    [Fact]
    public void RoundToKeepsMultiplesPerGroup()
    {
        var g = ModelZoo.Create("resnet", new ZooOptions { Depth = 8, Width = 0.75f, Height = 12, ImageWidth = 12 }); // 12, 24, 48 channels
        var a = ChannelDependencies.Find(g);
        foreach (var target in new[] { ChannelTarget.Channels, ChannelTarget.Flops })
        {
            var s = ChannelPruning.Select(a, GroupImportance.L1, new ChannelPruningOptions { Target = target, Amount = 0.4, RoundTo = 8 });
            Assert.True(s.Total > 0);
            foreach (var grp in a.Prunable)
            {
                int kept = grp.Channels - s.Count(grp.Id);
                Assert.True(kept == grp.Channels || kept % 8 == 0, $"{target}: group '{grp.Root}' keeps {kept} of {grp.Channels}");
                Assert.True(kept >= 8);
            }
        }
        Assert.Equal(8, ChannelPruning.KeepCount(12, 0.5, 8));
        Assert.Equal(12, ChannelPruning.KeepCount(12, 0.2, 8));
        Assert.Equal(24, ChannelPruning.KeepCount(48, 0.6, 8));
        Assert.Equal(1, ChannelPruning.KeepCount(4, 0.9, 1));
    }

    [Theory]
    [InlineData(ChannelTarget.Flops)]
    [InlineData(ChannelTarget.Parameters)]
    public void GlobalTargetRemovesThatFractionOfTheModel(ChannelTarget target)
    {
        var g = StructuredModels.Zoo("resnet");
        var options = new ChannelPruningOptions { Target = target, Amount = 0.5 };
        var result = ChannelPruning.Prune(g, GroupImportance.L1, options);
        double removed = target == ChannelTarget.Flops ? result.Report.FlopsRemoved : result.Report.ParametersRemoved;
        Assert.InRange(removed, 0.5, 0.6);
        foreach (var line in result.Report.Groups.Where(l => l.Prunable))
            Assert.True(line.ChannelsAfter >= Math.Ceiling(0.1 * line.ChannelsBefore), $"{line.Root}: {line.ChannelsAfter} of {line.ChannelsBefore}");
        var a = ChannelDependencies.Find(g);
        var x = StructuredModels.Input(g);
        var expected = StructuredModels.Run(ChannelPruning.Silence(a, result.Selection), x);
        Assert.True(StructuredModels.RelativeError(StructuredModels.Run(result.Graph, x), expected) < 1e-5);
    }

    [Fact]
    public void IgnoredGroupsAndExplicitAmountsAreHonored()
    {
        var a = ChannelDependencies.Find(StructuredModels.Zoo("lenet5"));
        var s = ChannelPruning.Select(a, GroupImportance.L1, new ChannelPruningOptions
        {
            Amount = 0.5, Ignore = ["conv1"], GroupAmounts = new Dictionary<string, double> { ["fc1"] = 0.8 },
        });
        Assert.Equal([0, 25, 400], a.Prunable.Select(g => s.Count(g.Id)));
        Assert.Throws<ArgumentException>(() => ChannelPruning.Select(a, GroupImportance.L1, new ChannelPruningOptions { Amount = 0.5, Ignore = ["conv9"] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => ChannelPruning.Select(a, GroupImportance.L1, new ChannelPruningOptions { Amount = 1 }));
    }

    [Fact]
    public void RandomImportanceIsReproducible()
    {
        var a = ChannelDependencies.Find(StructuredModels.Zoo("lenet5"));
        var g = a.GroupOf("conv2");
        Assert.Equal(new RandomChannelImportance(3).Score(a, g), new RandomChannelImportance(3).Score(a, g));
        Assert.NotEqual(new RandomChannelImportance(3).Score(a, g), new RandomChannelImportance(4).Score(a, g));
    }

    [Fact]
    public void CriteriaThatNeedCalibrationSayWhatIsMissing()
    {
        var a = ChannelDependencies.Find(StructuredModels.Zoo("mlp"));
        var e = Assert.Throws<ArgumentException>(() => new GroupImportance(new NeedsInputs()).Score(a, a.GroupOf("fc1")));
        Assert.Contains("calibration statistics", e.Message);
    }

    [Fact]
    public void CliNamesParse()
    {
        Assert.Same(GroupImportance.L1, ChannelCriteria.Parse("magnitude"));
        Assert.IsType<Fpgm>(ChannelCriteria.Parse("FPGM"));
        Assert.Equal("random", ChannelCriteria.Parse("random", 3).Name);
        Assert.Contains("fpgm", Assert.Throws<ArgumentException>(() => ChannelCriteria.Parse("taylor")).Message);
        Assert.Equal(ChannelTarget.Parameters, ChannelPruningOptions.ParseTarget("params"));
        Assert.Equal(ChannelTarget.Flops, ChannelPruningOptions.ParseTarget("flops"));
        Assert.Throws<ArgumentException>(() => ChannelPruningOptions.ParseTarget("speed"));
    }

    private sealed class NeedsInputs : IImportance
    {
        public string Name => "needs-inputs";
        public CalibrationNeeds Needs => CalibrationNeeds.InputNorms;
        public float[] Score(Prunus.Pruning.PrunableLayer layer, Prunus.Pruning.LayerStatistics? statistics) => new float[layer.Size];
    }
}
