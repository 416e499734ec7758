using Prunus.Pruning;
using Prunus.Pruning.Criteria;
using Prunus.Pruning.Sensitivity;
using Prunus.Tests.Training;
using Prunus.Training;

namespace Prunus.Tests.Pruning;

public class SensitivityTests
{
    private static SensitivityReport Hand() => new("m", "magnitude", "unstructured", 100, 0.9,
    [
        // a: cheap to prune up to 0.8, then costly; b: costly early; c: never loses accuracy.
        new("a", "wa", 100, 1000, [new(0.5, 0.9), new(0.8, 0.89), new(0.9, 0.7)]),
        new("b", "wb", 100, 100, [new(0.5, 0.8), new(0.8, 0.7), new(0.9, 0.6)]),
        new("c", "wc", 200, 100, [new(0.5, 0.9), new(0.8, 0.9), new(0.9, 0.9)]),
    ]);

    [Fact]
    public void Allocation_meets_the_target_exactly_and_prunes_the_robust_layers_first()
    {
        var a = SensitivityAllocation.Allocate(Hand(), 0.5, TargetMeasure.Params);
        double removed = a.Sparsity["a"] * 100 + a.Sparsity["b"] * 100 + a.Sparsity["c"] * 200;
        Assert.Equal(200, removed, 6);
        // a up to 0.5 and c up to 0.9 are free: the target is met from them alone, b (costly from the start) untouched.
        Assert.Equal(0, a.Sparsity["b"]);
        Assert.InRange(a.Sparsity["a"], 0, 0.5);
        Assert.InRange(a.Sparsity["c"], 0.5, 0.9);
        Assert.Equal(0, a.PredictedLoss, 9);

        // Counted in FLOPs, layer a dominates (1000 of 1200), so it has to go deep.
        var f = SensitivityAllocation.Allocate(Hand(), 0.7, TargetMeasure.Flops);
        double flops = f.Sparsity["a"] * 1000 + f.Sparsity["b"] * 100 + f.Sparsity["c"] * 100;
        Assert.Equal(0.7 * 1200, flops, 6);
        Assert.True(f.Sparsity["a"] > 0.7);
    }

    [Fact]
    public void A_target_beyond_the_analysed_sparsities_is_an_error()
    {
        var e = Assert.Throws<ArgumentException>(() => SensitivityAllocation.Allocate(Hand(), 0.95, TargetMeasure.Params));
        Assert.Contains("analyse higher sparsities", e.Message);
    }

    [Fact]
    public void Report_round_trips_through_json_and_bad_files_are_named()
    {
        var dir = Directory.CreateTempSubdirectory("prunus-sens-").FullName;
        try
        {
            var path = Path.Combine(dir, "s.json");
            var report = Hand();
            report.Save(path, SensitivityAllocation.Allocate(report, 0.5, TargetMeasure.Params));
            var back = SensitivityReport.Load(path);
            Assert.Equal(report.BaselineAccuracy, back.BaselineAccuracy);
            Assert.Equal(report.Layers.Select(l => (l.Layer, l.Params, l.Flops)), back.Layers.Select(l => (l.Layer, l.Params, l.Flops)));
            Assert.Equal(report.Layers[1].Points, back.Layers[1].Points);

            File.WriteAllText(path, "{\"format\": \"something else\"}");
            Assert.Contains("s.json", Assert.Throws<DataException>(() => SensitivityReport.Load(path)).Message);
            File.WriteAllText(path, "not json");
            Assert.Contains("not a JSON file", Assert.Throws<DataException>(() => SensitivityReport.Load(path)).Message);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Analysis_prunes_one_layer_at_a_time_and_restores_the_weights()
    {
        var data = TinyModels.Separable(192, features: 8, classes: 3);
        var g = TinyModels.Mlp();
        using (var t = new Trainer(g, data, new TrainerOptions { Epochs = 3, BatchSize = 32, LearningRate = 0.05, Threads = 1 })) t.Run();
        var before = g.Initializers.ToDictionary(kv => kv.Key, kv => kv.Value.Floats.ToArray());
        var layers = PrunableLayers.Find(g);
        var report = SensitivityAnalysis.Run(g, layers, data, Magnitude.L1, Granularity.Unstructured, [0.5, 0.99]);
        Assert.Equal(["fc1", "fc2"], report.Layers.Select(l => l.Layer));
        Assert.All(g.Initializers, kv => Assert.Equal(before[kv.Key], kv.Value.Floats.ToArray()));
        double baseline = new Evaluator(g).Evaluate(data).Accuracy;
        Assert.Equal(baseline, report.BaselineAccuracy);
        // Keeping 1% of a layer (one weight of fc2's 48) must cost accuracy on a trained model.
        Assert.True(report.Layers[1].Points[1].Accuracy < baseline, $"fc2 at 99%: {report.Layers[1].Points[1].Accuracy} vs {baseline}");
        Assert.Equal(layers[0].Size, report.Layers[0].Params);
        Assert.True(report.Layers[0].Flops > 0);
    }

    [Fact]
    public void Channel_sensitivity_prunes_one_group_at_a_time_and_leaves_the_model_whole()
    {
        var data = TinyModels.Separable(192, features: 8, classes: 3);
        var g = TinyModels.Mlp(hidden: 16);
        using (var t = new Trainer(g, data, new TrainerOptions { Epochs = 3, BatchSize = 32, LearningRate = 0.05, Threads = 1 })) t.Run();
        var before = g.Initializers.ToDictionary(kv => kv.Key, kv => kv.Value.Floats.ToArray());
        var report = ChannelSensitivity.Run(g, data, Prunus.Pruning.Structured.GroupImportance.L1, [0.25, 0.5, 0.9375]);
        Assert.Equal("channel", report.Granularity);
        var group = Assert.Single(report.Layers); // the 16 hidden features; the logits are never pruned
        Assert.Equal("fc1", group.Layer);
        Assert.Equal([0.25, 0.5, 0.9375], group.Points.Select(p => p.Sparsity));
        // A hidden feature carries its column of w1 (8), its bias and its row of w2 (3): 12 parameters.
        Assert.Equal(16 * 12, group.Params);
        Assert.True(group.Points[^1].Accuracy < report.BaselineAccuracy, "one feature of 16 left must cost accuracy");
        Assert.All(g.Initializers, kv => Assert.Equal(before[kv.Key], kv.Value.Floats.ToArray()));
    }
}
