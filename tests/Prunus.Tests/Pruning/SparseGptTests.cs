using Prunus.Data;
using Prunus.Graph;
using Prunus.Pruning;
using Prunus.Pruning.Criteria;
using Prunus.Pruning.Obs;
using Prunus.Tests.Support;
using Prunus.Tests.Training;
using Prunus.Training;
using static Prunus.Tests.Pruning.PruningFixtures;

namespace Prunus.Tests.Pruning;

public sealed class SparseGptTests
{
    private static SparseGptOptions Options(int images = 64, int block = 128) => new()
    {
        Calibration = new CalibrationOptions { Images = images, BatchSize = 32, Seed = 1, Pool = TestPools.Two },
        BlockSize = block,
    };

    private static double[] RandomSpd(int n, int seed)
    {
        var rng = new Random(seed);
        var b = new double[n * n];
        for (int i = 0; i < b.Length; i++) b[i] = rng.NextDouble() * 2 - 1;
        var a = new double[n * n];
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = i == j ? 0.1 : 0;
                for (int k = 0; k < n; k++) s += b[i * n + k] * b[j * n + k];
                a[i * n + j] = s;
            }
        return a;
    }

    [Fact]
    public void Inverse_upper_factor_times_itself_inverts_the_matrix()
    {
        const int n = 13;
        var a = RandomSpd(n, 2);
        var u = new double[n * n];
        Assert.True(SpdFactor.InverseUpperFactor(a, n, u));
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) Assert.Equal(0, u[i * n + j]);
        // (U^T U) A = I
        for (int i = 0; i < n; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int k = 0; k < n; k++)
                {
                    double inv = 0;
                    for (int m = 0; m < n; m++) inv += u[m * n + i] * u[m * n + k];
                    s += inv * a[k * n + j];
                }
                Assert.True(Math.Abs(s - (i == j ? 1 : 0)) < 1e-8, $"({i},{j}) = {s}");
            }
        var notPositive = (double[])a.Clone();
        notPositive[5 * n + 5] = -1;
        Assert.False(SpdFactor.InverseUpperFactor(notPositive, n, u));
    }

    /// <summary>X [rows, d] with strongly correlated columns of unequal scales, and W [outputs, d].</summary>
    private static (double[] X, double[] W) CorrelatedLayer(int rows, int d, int outputs, int seed)
    {
        var rng = new Random(seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var mix = new double[d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) mix[i * d + j] = (i == j ? 1 : 0) + 0.3 * Normal();
        var scale = Enumerable.Range(0, d).Select(_ => Math.Exp(Normal())).ToArray();
        var x = new double[rows * d];
        var z = new double[d];
        for (int r = 0; r < rows; r++)
        {
            for (int k = 0; k < d; k++) z[k] = Normal();
            for (int j = 0; j < d; j++)
            {
                double s = 0;
                for (int k = 0; k < d; k++) s += z[k] * mix[k * d + j];
                x[r * d + j] = s * scale[j];
            }
        }
        var w = Enumerable.Range(0, outputs * d).Select(_ => Normal()).ToArray();
        return (x, w);
    }

    private static double OutputError(double[] x, double[] w, double[] pruned, int rows, int d, int outputs)
    {
        double e = 0;
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < outputs; o++)
            {
                double s = 0;
                for (int j = 0; j < d; j++) s += x[r * d + j] * (w[o * d + j] - pruned[o * d + j]);
                e += s * s;
            }
        return e;
    }

    [Theory]
    [InlineData(0.5, 0.5)]
    [InlineData(0.9, 0.7)]
    public void Reconstruction_error_is_far_below_magnitude_pruning(double sparsity, double ratio)
    {
        const int rows = 400, d = 48, outputs = 24;
        var (x, w) = CorrelatedLayer(rows, d, outputs, 5);
        var h = new double[d * d];
        for (int r = 0; r < rows; r++)
            for (int i = 0; i < d; i++)
                for (int j = 0; j < d; j++) h[i * d + j] += x[r * d + i] * x[r * d + j];
        long count = (long)Math.Round(sparsity * w.Length);

        var magnitude = (double[])w.Clone();
        foreach (var i in Enumerable.Range(0, w.Length).OrderBy(i => Math.Abs(w[i])).Take((int)count)) magnitude[i] = 0;
        var obs = (double[])w.Clone();
        var (keep, _) = SparseGpt.PruneMatrix(obs, outputs, d, h, count, blockSize: 16, pool: TestPools.Two);

        Assert.Equal(count, keep.Count(k => !k));
        for (int i = 0; i < keep.Length; i++) if (!keep[i]) Assert.Equal(0, obs[i]);
        double eMag = OutputError(x, w, magnitude, rows, d, outputs), eObs = OutputError(x, w, obs, rows, d, outputs);
        Assert.True(eObs < ratio * eMag, $"OBS error {eObs:G4} vs magnitude {eMag:G4} at {sparsity:P0}");
    }

    [Fact]
    public void Nothing_changes_at_zero_sparsity()
    {
        var (_, w) = CorrelatedLayer(10, 8, 4, 1);
        var copy = (double[])w.Clone();
        var (keep, error) = SparseGpt.PruneMatrix(copy, 4, 8, RandomSpd(8, 1), 0);
        Assert.Equal(w, copy);
        Assert.All(keep, Assert.True);
        Assert.Equal(0, error);

        var graph = ConvModel();
        var before = graph.Initializers.ToDictionary(kv => kv.Key, kv => kv.Value.Floats.ToArray());
        var masks = SparseGpt.Prune(graph, PrunableLayers.Find(graph), RandomImages(16, 4, 5, 5), new PruningTarget { Sparsity = 0, Scope = PruningScope.Layer }, Options());
        foreach (var (name, values) in before) Assert.Equal(values, graph.Initializers[name].Floats.ToArray());
        Assert.All(masks.Masks.Values, m => Assert.All(m.Floats.ToArray(), v => Assert.Equal(1, v)));
    }

    [Theory]
    [InlineData(PruningScope.Layer)]
    [InlineData(PruningScope.Row)]
    public void Each_layer_meets_its_sparsity_exactly(PruningScope scope)
    {
        var graph = ConvModel();
        var layers = PrunableLayers.Find(graph);
        var target = new PruningTarget { Sparsity = 0.6, Scope = scope, LayerSparsity = new Dictionary<string, double> { ["fc"] = 0.3 } };
        var masks = SparseGpt.Prune(graph, layers, RandomImages(40, 4, 5, 5), target, Options(block: 4));
        foreach (var layer in layers)
        {
            var m = masks.Masks[layer.WeightName].Floats.ToArray();
            double s = layer.Name == "fc" ? 0.3 : 0.6;
            Assert.Equal((long)Math.Round(s * layer.Size), m.Count(v => v == 0));
            var w = layer.Weight.Floats.ToArray();
            for (int i = 0; i < m.Length; i++) if (m[i] == 0) Assert.Equal(0, w[i]);
            if (scope == PruningScope.Row)
                for (int r = 0; r < layer.Outputs; r++)
                {
                    int pruned = Enumerable.Range(0, layer.Reduction).Count(c => m[layer.Index(r, c)] == 0);
                    Assert.InRange(pruned, Math.Floor(s * layer.Reduction), Math.Ceiling(s * layer.Reduction));
                }
        }
    }

    [Fact]
    public void Global_scope_allocates_by_magnitude_and_meets_the_total()
    {
        var graph = ConvModel();
        var layers = PrunableLayers.Find(graph);
        var target = new PruningTarget { Sparsity = 0.7, Scope = PruningScope.Global };
        var magnitude = MaskSelection.Select(graph, layers, layers.ToDictionary(l => l.WeightName, l => Magnitude.L1.Score(l, null)), target);
        var masks = SparseGpt.Prune(graph, layers, RandomImages(40, 4, 5, 5), target, Options());
        foreach (var layer in layers)
            Assert.Equal(magnitude.Masks[layer.WeightName].Floats.ToArray().Count(v => v == 0), masks.Masks[layer.WeightName].Floats.ToArray().Count(v => v == 0));
        Assert.Equal(Math.Round(0.7 * layers.Sum(l => l.Size)) / layers.Sum(l => l.Size), masks.Sparsity(), 12);
    }

    [Fact]
    public void N_of_M_pattern_holds_along_every_row()
    {
        var graph = ConvModel(); // conv rows of 18: four groups of 4 and a last group of 2 (kept whole)
        var layers = PrunableLayers.Find(graph);
        var masks = SparseGpt.Prune(graph, layers, RandomImages(40, 4, 5, 5), new PruningTarget { Granularity = new NOfM(2, 4) }, Options(block: 6));
        foreach (var layer in layers)
        {
            var m = masks.Masks[layer.WeightName].Floats;
            var w = layer.Weight.Floats;
            for (int r = 0; r < layer.Outputs; r++)
                for (int c0 = 0; c0 < layer.Reduction; c0 += 4)
                {
                    int len = Math.Min(4, layer.Reduction - c0), kept = 0;
                    for (int c = c0; c < c0 + len; c++)
                    {
                        int i = layer.Index(r, c);
                        if (m[i] != 0) kept++;
                        else Assert.Equal(0, w[i]);
                    }
                    Assert.Equal(Math.Min(2, len), kept);
                }
        }
    }

    [Fact]
    public void Restore_puts_the_dense_weights_back()
    {
        var graph = GemmModel();
        var before = graph.Initializers.ToDictionary(kv => kv.Key, kv => kv.Value.Floats.ToArray());
        var masks = SparseGpt.Prune(graph, PrunableLayers.Find(graph), RandomImages(30, 1, 1, 6), new PruningTarget { Sparsity = 0.5 }, Options());
        Assert.NotEqual(before["fc1.weight"], graph.Initializers["fc1.weight"].Floats.ToArray());
        masks.Restore();
        foreach (var (name, values) in before) Assert.Equal(values, graph.Initializers[name].Floats.ToArray());
    }

    [Fact]
    public void Blocks_and_channels_are_refused()
    {
        var graph = GemmModel();
        var layers = PrunableLayers.Find(graph);
        var data = RandomImages(4, 1, 1, 6);
        Assert.Throws<ArgumentException>(() => SparseGpt.Prune(graph, layers, data, new PruningTarget { Sparsity = 0.5, Granularity = new Block(1, 2) }));
        Assert.Throws<ArgumentException>(() => SparseGpt.Prune(graph, layers, data, new PruningTarget { Sparsity = 0.5, Granularity = Granularity.Channel }));
    }

    [Theory]
    [InlineData(0.9)]
    [InlineData(0.95)]
    public void On_a_trained_model_OBS_loses_less_than_magnitude_at_high_sparsity(double sparsity)
    {
        // 64 features -> 32 hidden -> 8 classes, trained to near-zero loss; calibration rows (512) far outnumber inputs.
        var all = TinyModels.Separable(2500, features: 64, classes: 8, seed: 3);
        var (train, test) = (all.Slice(0, 2000), all.Slice(2000, 500));
        var b = new GraphBuilder("mlp", 6);
        var x = b.Input("x", Dim.Sym("N"), 1, 1, 64);
        b.Output(b.Linear(b.Relu(b.Linear(b.Flatten(x), 32, name: "fc1")), 8, name: "fc2"), "logits");
        var graph = b.Build();
        using (var trainer = new Trainer(graph, train, new TrainerOptions { Epochs = 2, BatchSize = 32, LearningRate = 0.05, Seed = 1, Pool = TestPools.Two }))
            trainer.Run();
        var evaluator = new Evaluator(graph, 500, TestPools.Two);
        var dense = evaluator.Evaluate(test);
        var layers = PrunableLayers.Find(graph);
        var target = new PruningTarget { Sparsity = sparsity, Scope = PruningScope.Global };

        var magnitude = MaskSelection.Select(graph, layers, layers.ToDictionary(l => l.WeightName, l => Magnitude.L1.Score(l, null)), target);
        magnitude.Apply();
        var mag = evaluator.Evaluate(test);
        magnitude.Restore();
        SparseGpt.Prune(graph, layers, train, target, Options(images: 512));
        var obs = evaluator.Evaluate(test);

        string figures = $"dense {dense.Accuracy:F4}/{dense.Loss:F4}, magnitude {mag.Accuracy:F4}/{mag.Loss:F4}, OBS {obs.Accuracy:F4}/{obs.Loss:F4}";
        Assert.True(dense.Accuracy > 0.99, figures);
        Assert.True(obs.Loss < 0.6 * mag.Loss, figures);
        Assert.True(obs.Accuracy >= mag.Accuracy, figures);
    }
}

public sealed class ZooPruningTests
{
    [Theory]
    [InlineData("mobilenet")]
    [InlineData("resnet")]
    public void Every_data_driven_method_runs_on_zoo_models_with_depthwise_convs_and_batch_norm(string name)
    {
        var graph = Prunus.Models.ModelZoo.Create(name, new Prunus.Models.ZooOptions { Seed = 2, Width = 0.5f, Depth = 8, Height = 16, ImageWidth = 16 });
        var data = RandomImages(8, 1, 16, 16, classes: 10);
        var layers = PrunableLayers.Find(graph);
        var options = new CalibrationOptions { Images = 8, BatchSize = 4, Pool = TestPools.Two };
        var stats = Calibration.Collect(graph, layers, data, CalibrationNeeds.InputNorms | CalibrationNeeds.Gradients, options);
        foreach (var layer in layers)
        {
            Assert.Equal(layer.Groups * layer.Reduction, stats[layer.WeightName].InputSquaredSums!.Length);
            Assert.Equal(layer.Size, Wanda.Instance.Score(layer, stats[layer.WeightName]).Length);
            Assert.Equal(layer.Size, Taylor.Instance.Score(layer, stats[layer.WeightName]).Length);
        }
        var masks = SparseGpt.Prune(graph, layers, data, new PruningTarget { Sparsity = 0.5, Scope = PruningScope.Layer }, new SparseGptOptions { Calibration = options });
        foreach (var layer in layers)
            Assert.Equal((long)Math.Round(0.5 * layer.Size), masks.Masks[layer.WeightName].Floats.ToArray().Count(v => v == 0));
        var logits = new Evaluator(graph, 8, TestPools.Two).Evaluate(data);
        Assert.True(double.IsFinite(logits.Loss));
    }
}
