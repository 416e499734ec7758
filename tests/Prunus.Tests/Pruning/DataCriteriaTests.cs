using Prunus.Graph;
using Prunus.Pruning;
using Prunus.Pruning.Criteria;
using Prunus.Tests.Training;
using static Prunus.Tests.Pruning.PruningFixtures;

namespace Prunus.Tests.Pruning;

public sealed class DataCriteriaTests
{
    [Fact]
    public void Wanda_scores_are_magnitude_times_input_norm_in_memory_order()
    {
        // fc1 is stored [out, in] (transB = 1), fc2 [in, out] (transB = 0): both map (row, col) through Index.
        var graph = GemmModel();
        foreach (var layer in PrunableLayers.Find(graph))
        {
            var sums = Enumerable.Range(0, layer.Reduction).Select(j => (double)(j * j + 1)).ToArray();
            var scores = Wanda.Instance.Score(layer, new LayerStatistics { InputSquaredSums = sums });
            var w = layer.Weight.Floats;
            for (int r = 0; r < layer.Outputs; r++)
                for (int c = 0; c < layer.Reduction; c++)
                {
                    int i = layer.Index(r, c);
                    Assert.Equal((float)(Math.Abs(w[i]) * Math.Sqrt(c * c + 1)), scores[i], 6);
                }
        }
    }

    [Fact]
    public void Wanda_reads_each_conv_group_its_own_norms()
    {
        var graph = ConvModel();
        var conv = PrunableLayers.Find(graph).Single(l => l.Kind == LayerKind.Conv);
        // Group 0 (outputs 0-2) sees norms 1, group 1 (outputs 3-5) norms 2.
        var sums = Enumerable.Repeat(1.0, 18).Concat(Enumerable.Repeat(4.0, 18)).ToArray();
        var scores = Wanda.Instance.Score(conv, new LayerStatistics { InputSquaredSums = sums });
        var w = conv.Weight.Floats;
        for (int i = 0; i < w.Length; i++) Assert.Equal(Math.Abs(w[i]) * (i / (3 * 18) == 0 ? 1 : 2), scores[i], 6);
        Assert.Throws<ArgumentException>(() => Wanda.Instance.Score(conv, new LayerStatistics { InputSquaredSums = new double[18] }));
        Assert.Throws<ArgumentException>(() => Wanda.Instance.Score(conv, null));
    }

    [Fact]
    public void Wanda_keeps_a_small_weight_on_a_strong_input_that_magnitude_prunes()
    {
        var graph = TinyModels.Mlp(features: 2, hidden: 2, classes: 2);
        var layer = PrunableLayers.Find(graph)[0]; // w1 [2 in, 2 out], stored transposed
        var w = layer.Weight.Floats;
        // Row 0: weights 1 (input 0) and 0.2 (input 1); row 1: 0.3 and 1. Input 1 is 100 times stronger.
        w[layer.Index(0, 0)] = 1; w[layer.Index(0, 1)] = 0.2f;
        w[layer.Index(1, 0)] = 0.3f; w[layer.Index(1, 1)] = 1;
        var stats = new LayerStatistics { InputSquaredSums = [1, 10000] };
        var target = new PruningTarget { Sparsity = 0.5, Scope = PruningScope.Row };
        var wanda = MaskSelection.Select(graph, [layer], new Dictionary<string, float[]> { [layer.WeightName] = Wanda.Instance.Score(layer, stats) }, target);
        var magnitude = MaskSelection.Select(graph, [layer], new Dictionary<string, float[]> { [layer.WeightName] = Magnitude.L1.Score(layer, null) }, target);
        var wm = wanda.Masks[layer.WeightName].Floats;
        var mm = magnitude.Masks[layer.WeightName].Floats;
        Assert.Equal(0, wm[layer.Index(0, 0)]); // 1 x 1 < 0.2 x 100
        Assert.Equal(1, wm[layer.Index(0, 1)]);
        Assert.Equal(1, mm[layer.Index(0, 0)]);
        Assert.Equal(0, mm[layer.Index(0, 1)]);
        Assert.Equal(0, wm[layer.Index(1, 0)]);
        Assert.Equal(1, wm[layer.Index(1, 1)]);
    }

    [Fact]
    public void Taylor_scores_are_the_mean_over_batches_of_the_sums()
    {
        var graph = GemmModel();
        var layer = PrunableLayers.Find(graph)[0];
        var sums = Enumerable.Range(0, layer.Size).Select(i => (double)i).ToArray();
        var scores = Taylor.Instance.Score(layer, new LayerStatistics { TaylorSums = sums, GradientBatches = 4 });
        for (int i = 0; i < sums.Length; i++) Assert.Equal(i / 4f, scores[i]);
        Assert.Equal(CalibrationNeeds.Gradients, Taylor.Instance.Needs);
        Assert.Equal(CalibrationNeeds.InputNorms, Wanda.Instance.Needs);
        Assert.Throws<ArgumentException>(() => Taylor.Instance.Score(layer, new LayerStatistics()));
    }

    [Fact]
    public void Taylor_ranks_by_the_loss_sensitivity_measured_on_data()
    {
        var data = TinyModels.Separable(64);
        var graph = TinyModels.Mlp();
        var layers = PrunableLayers.Find(graph);
        var stats = Calibration.Collect(graph, layers, data, CalibrationNeeds.Gradients, new CalibrationOptions { Images = 64, BatchSize = 16 });
        var scores = Taylor.Instance.Score(layers[1], stats[layers[1].WeightName]);
        var sums = stats[layers[1].WeightName].TaylorSums!;
        // The order of the scores is the order of the sums.
        var byScore = Enumerable.Range(0, scores.Length).OrderBy(i => scores[i]).ThenBy(i => i).ToArray();
        var bySum = Enumerable.Range(0, sums.Length).OrderBy(i => sums[i]).ThenBy(i => i).ToArray();
        Assert.Equal(bySum, byScore);
        Assert.Contains(scores, s => s > 0);
    }

    [Fact]
    public void Row_scope_prunes_each_row_to_the_target_and_the_layer_exactly()
    {
        var graph = ConvModel();
        var layers = PrunableLayers.Find(graph);
        var rng = new Random(4);
        var scores = layers.ToDictionary(l => l.WeightName, l => Enumerable.Range(0, l.Size).Select(_ => (float)rng.NextDouble()).ToArray());
        var masks = MaskSelection.Select(graph, layers, scores, new PruningTarget { Sparsity = 0.35, Scope = PruningScope.Row });
        foreach (var layer in layers)
        {
            var m = masks.Masks[layer.WeightName].Floats.ToArray();
            var s = scores[layer.WeightName];
            Assert.Equal((long)Math.Round(0.35 * layer.Size), m.Count(v => v == 0));
            for (int r = 0; r < layer.Outputs; r++)
            {
                var row = Enumerable.Range(0, layer.Reduction).Select(c => layer.Index(r, c)).ToArray();
                int pruned = row.Count(i => m[i] == 0);
                Assert.InRange(pruned, (int)Math.Floor(0.35 * layer.Reduction) - 1, (int)Math.Ceiling(0.35 * layer.Reduction) + 1);
                // Within a row every pruned weight scores no higher than every kept one.
                float maxPruned = row.Where(i => m[i] == 0).Select(i => s[i]).DefaultIfEmpty(float.MinValue).Max();
                float minKept = row.Where(i => m[i] != 0).Select(i => s[i]).DefaultIfEmpty(float.MaxValue).Min();
                Assert.True(maxPruned <= minKept, $"row {r} of {layer.Name}: pruned {maxPruned} above kept {minKept}");
            }
        }
    }

    [Fact]
    public void Row_scope_takes_one_row_high_blocks_only()
    {
        var graph = GemmModel();
        var layers = PrunableLayers.Find(graph);
        var scores = layers.ToDictionary(l => l.WeightName, l => Magnitude.L1.Score(l, null));
        var masks = MaskSelection.Select(graph, layers, scores, new PruningTarget { Sparsity = 0.5, Scope = PruningScope.Row, Granularity = new Block(1, 2) });
        var fc1 = layers[0];
        var m = masks.Masks[fc1.WeightName].Floats;
        for (int r = 0; r < fc1.Outputs; r++)
            for (int c = 0; c < fc1.Reduction; c += 2) Assert.Equal(m[fc1.Index(r, c)], m[fc1.Index(r, c + 1)]);
        Assert.Throws<ArgumentException>(() => MaskSelection.Select(graph, layers, scores,
            new PruningTarget { Sparsity = 0.5, Scope = PruningScope.Row, Granularity = new Block(2, 1) }));
    }
}
