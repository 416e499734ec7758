using Prunus.Quantization.Sensitivity;
using Prunus.Quantization.Static;
using Prunus.Tests.Support;
using Prunus.Training;
using static Prunus.Tests.Quantization.QuantFixtures;

namespace Prunus.Tests.Quantization;

public sealed class SensitivityFallbackTests
{
    /// <summary>Accuracy of a model whose layers each cost a fixed loss when quantized (losses add up).</summary>
    private static Func<IReadOnlyCollection<string>, double> Additive(Dictionary<string, double> loss, List<string[]> calls) => set =>
    {
        calls.Add(set.ToArray());
        return 0.9 - set.Sum(l => loss[l]) / 100;
    };

    [Fact]
    public void Within_budget_nothing_is_measured_layer_by_layer()
    {
        var calls = new List<string[]>();
        var r = SensitivityFallback.Run(["a", "b"], Additive(new() { ["a"] = 0.1, ["b"] = 0.2 }, calls), 0.9, maxLoss: 0.5);
        Assert.Single(calls);
        Assert.Equal(["a", "b"], r.Quantized.Order());
        Assert.Empty(r.SoloLoss);
        Assert.Equal(0.3, r.Loss, 9);
    }

    [Fact]
    public void The_most_sensitive_layers_go_back_to_float_until_the_budget_is_met()
    {
        var calls = new List<string[]>();
        var loss = new Dictionary<string, double> { ["a"] = 0.1, ["b"] = 0.8, ["c"] = 0.05, ["d"] = 0.4 };
        var r = SensitivityFallback.Run(["a", "b", "c", "d"], Additive(loss, calls), 0.9, maxLoss: 0.2);
        Assert.Equal(loss["b"], r.SoloLoss["b"], 9);
        // b (0.8) then d (0.4) leave: a + c = 0.15 <= 0.2.
        Assert.Equal(["b", "d"], r.Steps.Select(s => s.Layer));
        Assert.Equal(["a", "c"], r.Quantized.Order());
        Assert.True(r.Loss <= 0.2 + 1e-9);
        Assert.Equal(0.9 - 1.35 / 100, r.FullAccuracy, 9);
    }

    [Fact]
    public void A_zero_budget_may_leave_everything_in_float()
    {
        var r = SensitivityFallback.Run(["a"], _ => 0.8, 0.9, maxLoss: 0);
        Assert.Empty(r.Quantized);
        Assert.Equal(0.9, r.Accuracy);
        Assert.Throws<ArgumentOutOfRangeException>(() => SensitivityFallback.Run(["a"], _ => 0.8, 0.9, maxLoss: -1));
    }

    [Fact]
    public void Static_quantization_under_a_budget_reports_its_measurements()
    {
        var graph = Train("mlp");
        var options = new StaticQuantizationOptions { Sampling = Sampling(128), MaxLoss = 0, BiasCorrection = false };
        var validation = Bands(300, seed: 12);
        var result = StaticQuantizer.Quantize(graph, Bands(128, seed: 4), options, validation);
        Assert.NotNull(result.Fallback);
        Assert.True(result.Fallback!.Loss <= 1e-9);
        double after = new Evaluator(result.Graph, 300, TestPools.Two).Evaluate(validation).Accuracy;
        Assert.Equal(result.Fallback.Accuracy, after, 9);
        Assert.Equal(result.Fallback.Quantized.Count, result.Layers.Count(l => l.Quantized));
        Assert.All(result.Layers.Where(l => !l.Quantized), l => Assert.NotNull(l.SoloLoss));
        Assert.Throws<ArgumentException>(() => StaticQuantizer.Quantize(graph, Bands(16, seed: 4), options));
    }
}
