using Prunus.Graph.Planning;
using Prunus.Pruning.Structured;
using Prunus.Threading;

namespace Prunus.Tests.Pruning.Structured;

public class LatencyTargetTests
{
    // LeNet-5: conv1 (20) -> pool -> conv2 (50) -> pool -> flatten -> fc1 (500) -> relu -> fc2 (10).
    private static Dictionary<string, double> Times(double conv1, double conv2, double fc1, double fc2, double other) => new()
    {
        ["conv1"] = conv1, ["conv2"] = conv2, ["fc1"] = fc1, ["fc2"] = fc2, ["a step the optimizer made"] = other,
    };

    [Fact]
    public void LatencyCostScalesEachLayersTimeByTheChannelsItKeeps()
    {
        var a = ChannelDependencies.Find(StructuredModels.Zoo("lenet5"));
        var times = Times(1, 2, 3, 0.5, 0.5); // 7 ms in all
        var cost = CostModel.Latency(a, [new LayerTimes(1, times), new LayerTimes(64, times)]);
        Assert.Equal(2, cost.Total, 9); // one per batch size
        // Half of conv2's filters: conv2 keeps half its outputs, fc1 half its inputs (16 features per channel);
        // conv1, fc2 and the unmatched step are untouched.
        var conv2 = a.GroupOf("conv2");
        var half = Enumerable.Range(0, 25).Select(c => a.GroupClasses[conv2.Id][c]);
        Assert.Equal(2 * (1 + 1 + 1.5 + 0.5 + 0.5) / 7, cost.With(half), 9);
        // A quarter of conv1's: conv1's outputs and conv2's inputs.
        var conv1 = a.GroupOf("conv1");
        var quarter = Enumerable.Range(0, 5).Select(c => a.GroupClasses[conv1.Id][c]);
        Assert.Equal(2 * (0.75 + 1.5 + 3 + 0.5 + 0.5) / 7, cost.With(quarter), 9);
        Assert.Throws<ArgumentException>(() => CostModel.Latency(a, []));
        Assert.Throws<ArgumentException>(() => CostModel.Latency(a, [new LayerTimes(1, new Dictionary<string, double>())]));
    }

    [Fact]
    public void LatencyTargetCutsTheSlowLayersFirst()
    {
        var a = ChannelDependencies.Find(StructuredModels.Zoo("lenet5"));
        double Cut(ChannelSelection s, string group) => (double)s.Count(a.GroupOf(group).Id) / a.GroupOf(group).Channels;
        ChannelSelection Select(Dictionary<string, double> times, double exponent = 1) => ChannelPruning.Select(a, GroupImportance.L1,
            new ChannelPruningOptions { Target = ChannelTarget.Latency, Amount = 0.3, Latency = [new LayerTimes(1, times)], CostExponent = exponent });

        // conv1 the slow layer: its own filters go (each also removes an input channel of conv2); fc1's are kept.
        var conv1Slow = Times(10, 0.1, 0.1, 0.1, 0);
        var s1 = Select(conv1Slow);
        Assert.True(Cut(s1, "conv1") > 0.3);
        Assert.Equal(0, Cut(s1, "fc1"));
        // fc2 the slow layer: only fc1's features reach it, so the cut moves there and conv1 is kept.
        var fc2Slow = Times(0.1, 0.1, 0.1, 10, 0);
        var s2 = Select(fc2Slow);
        Assert.True(Cut(s2, "fc1") > 0.3);
        Assert.Equal(0, Cut(s2, "conv1"));
        // Ranked by importance alone (exponent 0), the cut spreads: fc1 loses channels although they save little time.
        var s0 = Select(conv1Slow, exponent: 0);
        Assert.True(Cut(s0, "fc1") > 0);
        // In every case the predicted latency has lost at least the target, and not far past it.
        foreach (var (s, t) in new[] { (s1, conv1Slow), (s2, fc2Slow), (s0, conv1Slow) })
            Assert.InRange(CostModel.Latency(a, [new LayerTimes(1, t)]).With(s.Classes(a)), 0.6, 0.7);

        var e = Assert.Throws<ArgumentException>(() => ChannelPruning.Select(a, GroupImportance.L1, new ChannelPruningOptions { Target = ChannelTarget.Latency, Amount = 0.3 }));
        Assert.Contains("layer times", e.Message);
        Assert.Equal(ChannelTarget.Latency, ChannelPruningOptions.ParseTarget("latency"));
    }

    [Fact]
    public void NodeTimesAreKeyedByTheNodesThatRemainAfterFusion()
    {
        var g = StructuredModels.Zoo("resnet");
        using var pool = new WorkerPool(1);
        var times = PlanProfiler.NodeTimes(g, 2, pool, seconds: 0.05);
        Assert.Contains("stem.conv", times.Keys); // its BatchNormalization and ReLU are fused into it
        Assert.DoesNotContain(g.Nodes.First(n => n.OpType == "BatchNormalization").Name, times.Keys);
        Assert.All(times.Values, ms => Assert.True(ms >= 0));
        Assert.True(times.Values.Sum() > 0);
        Assert.All(times.Keys, name => Assert.Contains(g.Nodes, n => n.Name == name));
    }
}
