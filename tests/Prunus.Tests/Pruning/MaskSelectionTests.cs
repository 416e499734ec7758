using Prunus.Graph;
using Prunus.Models;
using Prunus.Pruning;
using Prunus.Pruning.Criteria;
using Prunus.Tensors;

namespace Prunus.Tests.Pruning;

public class MaskSelectionTests
{
    private static (ModelGraph G, IReadOnlyList<PrunableLayer> Layers, Dictionary<string, float[]> Scores) Setup()
    {
        var g = PruningFixtures.TwoLayers();
        var layers = PrunableLayers.Find(g);
        return (g, layers, Pruner.Score(layers, Magnitude.L1));
    }

    [Fact]
    public void Prunable_layers_map_rows_to_outputs_whatever_the_layout()
    {
        var (g, layers, _) = Setup();
        Assert.Equal(["fc1", "fc2"], layers.Select(l => l.Name));
        var fc1 = layers[0];
        var fc2 = layers[1];
        Assert.Equal((6, 8, false), (fc1.Outputs, fc1.Reduction, fc1.Transposed)); // Gemm transB: W [H,F]
        Assert.Equal((4, 6, true), (fc2.Outputs, fc2.Reduction, fc2.Transposed));  // MatMul: W [H,K] holds [K_in, N_out]
        Assert.Equal(2 * 8 + 5, fc1.Index(2, 5));
        Assert.Equal(5 * 4 + 2, fc2.Index(2, 5));
        var lenet = PrunableLayers.Find(ModelZoo.Create("lenet5"));
        Assert.Equal(["Conv", "Conv", "Gemm", "Gemm"], lenet.Select(l => l.Kind.ToString()));
        Assert.Equal((20, 25), (lenet[0].Outputs, lenet[0].Reduction));
        Assert.Equal((50, 500), (lenet[1].Outputs, lenet[1].Reduction));
        Assert.Equal((500, 800), (lenet[2].Outputs, lenet[2].Reduction));
    }

    [Fact]
    public void Ignored_layers_are_left_out_and_unknown_names_are_an_error()
    {
        var g = PruningFixtures.TwoLayers();
        Assert.Equal(["fc2"], PrunableLayers.Find(g, ["fc1"]).Select(l => l.Name));
        Assert.Equal(["fc1"], PrunableLayers.Find(g, ["w2"]).Select(l => l.Name));
        var e = Assert.Throws<ArgumentException>(() => PrunableLayers.Find(g, ["fc3"]));
        Assert.Contains("'fc3'", e.Message);
        Assert.Contains("fc1, fc2", e.Message);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void Layer_scope_prunes_exactly_the_smallest_of_each_layer(double sparsity)
    {
        var (g, layers, scores) = Setup();
        var masks = MaskSelection.Select(g, layers, scores, new PruningTarget { Sparsity = sparsity, Scope = PruningScope.Layer });
        foreach (var layer in layers)
        {
            var mask = masks.Masks[layer.WeightName].Floats.ToArray();
            var w = layer.Weight.Floats.ToArray();
            int expected = (int)Math.Round(sparsity * w.Length);
            Assert.Equal(expected, mask.Count(v => v == 0));
            if (expected == 0) continue;
            float largestPruned = w.Where((_, i) => mask[i] == 0).Max(Math.Abs);
            float smallestKept = w.Where((_, i) => mask[i] != 0).Min(Math.Abs);
            Assert.True(largestPruned < smallestKept);
        }
    }

    [Fact]
    public void Global_scope_ranks_across_layers_and_honours_the_density_floor()
    {
        var (g, layers, scores) = Setup();
        var masks = MaskSelection.Select(g, layers, scores, new PruningTarget { Sparsity = 0.5 });
        var all = layers.SelectMany(l => l.Weight.Floats.ToArray().Select((v, i) => (Abs: Math.Abs(v), Pruned: masks.Masks[l.WeightName].Floats[i] == 0))).ToList();
        Assert.Equal(36, all.Count(x => x.Pruned)); // half of 48 + 24
        Assert.True(all.Where(x => x.Pruned).Max(x => x.Abs) < all.Where(x => !x.Pruned).Min(x => x.Abs));

        // A floor of 80% density caps fc1 at 9 of 48 and fc2 at 4 of 24 pruned: the 50% target cannot be met, and the
        // floor wins. A floor of 40% caps at 28 and 14 (42 >= 36): the target is met, still the smallest that fit.
        var floored = MaskSelection.Select(g, layers, scores, new PruningTarget { Sparsity = 0.5, MinDensity = 0.8 });
        Assert.Equal(9, PruningFixtures.Zeros(floored.Masks["w1"]));
        Assert.Equal(4, PruningFixtures.Zeros(floored.Masks["w2"]));
        var loose = MaskSelection.Select(g, layers, scores, new PruningTarget { Sparsity = 0.5, MinDensity = 0.4 });
        Assert.Equal(36, PruningFixtures.Zeros(loose.Masks["w1"]) + PruningFixtures.Zeros(loose.Masks["w2"]));
        Assert.True(PruningFixtures.Zeros(loose.Masks["w1"]) <= 28 && PruningFixtures.Zeros(loose.Masks["w2"]) <= 14);
    }

    [Fact]
    public void Explicit_layer_ratios_override_the_target()
    {
        var (g, layers, scores) = Setup();
        var masks = MaskSelection.Select(g, layers, scores, new PruningTarget
        {
            Sparsity = 0.5,
            LayerSparsity = new Dictionary<string, double> { ["fc2"] = 0.25 },
        });
        Assert.Equal(6, PruningFixtures.Zeros(masks.Masks["w2"]));
        Assert.Equal(24, PruningFixtures.Zeros(masks.Masks["w1"])); // the rest of the pool at 50%
    }

    [Theory]
    [InlineData(2, 4)]
    [InlineData(1, 4)]
    [InlineData(2, 3)]
    public void N_of_M_keeps_the_largest_n_of_every_m_along_the_reduction(int n, int m)
    {
        var (g, layers, scores) = Setup();
        var masks = MaskSelection.Select(g, layers, scores, new PruningTarget { Granularity = new NOfM(n, m), Sparsity = 0.9 });
        foreach (var layer in layers)
        {
            var mask = masks.Masks[layer.WeightName].Floats.ToArray();
            var w = layer.Weight.Floats.ToArray();
            for (int r = 0; r < layer.Outputs; r++)
                for (int c0 = 0; c0 < layer.Reduction; c0 += m)
                {
                    var group = Enumerable.Range(c0, Math.Min(m, layer.Reduction - c0)).Select(c => layer.Index(r, c)).ToArray();
                    var kept = group.Where(i => mask[i] != 0).ToArray();
                    Assert.Equal(Math.Min(n, group.Length), kept.Length);
                    var keptMin = kept.Min(i => Math.Abs(w[i]));
                    Assert.All(group.Except(kept), i => Assert.True(Math.Abs(w[i]) < keptMin));
                }
        }
    }

    [Fact]
    public void Blocks_are_pruned_whole_and_ranked_by_their_mean()
    {
        var (g, layers, scores) = Setup();
        var masks = MaskSelection.Select(g, layers, scores, new PruningTarget { Granularity = new Block(1, 4), Sparsity = 0.5, Scope = PruningScope.Layer });
        var fc1 = layers[0];
        var mask = masks.Masks["w1"].Floats.ToArray();
        var blockMeans = new List<(double Mean, bool Pruned)>();
        for (int r = 0; r < fc1.Outputs; r++)
            for (int c0 = 0; c0 < fc1.Reduction; c0 += 4)
            {
                var idx = Enumerable.Range(c0, 4).Select(c => fc1.Index(r, c)).ToArray();
                Assert.True(idx.All(i => mask[i] == 0) || idx.All(i => mask[i] == 1), "a block is pruned whole");
                blockMeans.Add((idx.Average(i => Math.Abs(fc1.Weight.Floats[i])), mask[idx[0]] == 0));
            }
        Assert.Equal(6, blockMeans.Count(b => b.Pruned)); // 24 of 48 weights
        Assert.True(blockMeans.Where(b => b.Pruned).Max(b => b.Mean) < blockMeans.Where(b => !b.Pruned).Min(b => b.Mean));
        // 4x1 on the transposed MatMul: four consecutive outputs of one input go together.
        var tall = MaskSelection.Select(g, layers, scores, new PruningTarget { Granularity = new Block(4, 1), Sparsity = 0.5, Scope = PruningScope.Layer });
        var fc2 = layers[1];
        var m2 = tall.Masks["w2"].Floats.ToArray();
        for (int c = 0; c < fc2.Reduction; c++)
            Assert.Single(Enumerable.Range(0, 4).Select(r => m2[fc2.Index(r, c)]).Distinct());
    }

    [Fact]
    public void Earlier_masks_are_never_revived()
    {
        var (g, layers, scores) = Setup();
        var first = MaskSelection.Select(g, layers, scores, new PruningTarget { Sparsity = 0.3 });
        // Scores that now favour the pruned weights: with the earlier masks they still rank lowest.
        var inverted = scores.ToDictionary(kv => kv.Key, kv => kv.Value.Select(v => 1 / v).ToArray());
        var second = MaskSelection.Select(g, layers, inverted, new PruningTarget { Sparsity = 0.6 }, first);
        foreach (var (name, m) in first.Masks)
            for (int i = 0; i < m.Length; i++)
                if (m.Floats[i] == 0) Assert.Equal(0f, second.Masks[name].Floats[i]);
        Assert.Equal(0.6, second.Sparsity(), 2);
    }

    [Fact]
    public void A_flops_target_weighs_each_weight_by_its_use()
    {
        var (g, layers, scores) = Setup();
        // fc2's weights cost 10 FLOPs each, fc1's 1: removing half the FLOPs (0.5 * (48 + 240) = 144) takes fewer weights
        // than half of all weights when the cheap fc1 weights are the smaller ones.
        var target = new PruningTarget { Sparsity = 0.5, Measure = TargetMeasure.Flops, FlopsPerWeight = new Dictionary<string, double> { ["w1"] = 1, ["w2"] = 10 } };
        var masks = MaskSelection.Select(g, layers, scores, target);
        double removed = PruningFixtures.Zeros(masks.Masks["w1"]) + 10.0 * PruningFixtures.Zeros(masks.Masks["w2"]);
        Assert.InRange(removed, 144 - 5, 144 + 5);
    }

    [Fact]
    public void Masks_apply_restore_and_become_permanent()
    {
        var (g, layers, scores) = Setup();
        var original = g.Initializers["w1"].Clone();
        var masks = MaskSelection.Select(g, layers, scores, new PruningTarget { Sparsity = 0.5 });
        masks.Apply();
        Assert.Equal(masks.Masks["w1"].Floats.ToArray().Count(v => v == 0), g.Initializers["w1"].Floats.ToArray().Count(v => v == 0));
        masks.Restore();
        Assert.Equal(original.Floats.ToArray(), g.Initializers["w1"].Floats.ToArray());
        masks.Apply();
        masks.MakePermanent();
        masks.Restore(); // nothing to restore any more
        Assert.Equal(0.5, layers.Sum(l => l.Sparsity() * l.Size) / layers.Sum(l => l.Size), 6);
    }

    [Fact]
    public void Granularity_parses_the_cli_forms_and_rejects_others()
    {
        Assert.Equal(Granularity.Unstructured, Granularity.Parse("unstructured"));
        Assert.Equal(Granularity.Channel, Granularity.Parse("channel"));
        Assert.Equal(new NOfM(2, 4), Granularity.Parse("2:4"));
        Assert.Equal(new Block(16, 1), Granularity.Parse("block:16x1"));
        foreach (var bad in new[] { "4:2", "2:2", "block:0x4", "block:4", "rows", "" })
            Assert.Throws<ArgumentException>(() => Granularity.Parse(bad));
    }

    [Fact]
    public void Random_scores_are_reproducible_and_differ_by_seed()
    {
        var g = PruningFixtures.TwoLayers();
        var layer = PrunableLayers.Find(g)[0];
        Assert.Equal(new RandomImportance(5).Score(layer, null), new RandomImportance(5).Score(layer, null));
        Assert.NotEqual(new RandomImportance(5).Score(layer, null), new RandomImportance(6).Score(layer, null));
        Assert.All(new RandomImportance(5).Score(layer, null), v => Assert.InRange(v, 0, 1));
    }
}
