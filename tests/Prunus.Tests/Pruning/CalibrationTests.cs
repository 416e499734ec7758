using Prunus.Graph;
using Prunus.Pruning;
using Prunus.Pruning.Criteria;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Prunus.Tests.Training;
using static Prunus.Tests.Pruning.PruningFixtures;

namespace Prunus.Tests.Pruning;

public sealed class CalibrationTests
{
    private static CalibrationOptions Options(int images, int batch) => new() { Images = images, BatchSize = batch, Seed = 3, Pool = TestPools.Two };

    [Fact]
    public void Gemm_statistics_equal_a_hand_computation()
    {
        var graph = GemmModel();
        var data = RandomImages(10, 1, 1, 6);
        var layers = PrunableLayers.Find(graph);
        // 10 images in batches of 4: the last batch holds 2.
        var stats = Calibration.Collect(graph, layers, data, CalibrationNeeds.InputNorms | CalibrationNeeds.Hessian, Options(10, 4));

        var w1 = graph.Initializers["fc1.weight"].Floats.ToArray();
        var b1 = graph.Initializers["fc1.bias"].Floats.ToArray();
        var inputs = new List<double[]>();
        var hidden = new List<double[]>();
        for (int n = 0; n < data.Count; n++)
        {
            var x = Image(data, n);
            inputs.Add(x.Select(v => (double)v).ToArray());
            var h = new double[5];
            for (int o = 0; o < 5; o++)
            {
                double s = b1[o];
                for (int i = 0; i < 6; i++) s += w1[o * 6 + i] * x[i];
                h[o] = Math.Max(0, s);
            }
            hidden.Add(h);
        }
        var (s1, h1) = Moments(inputs, 6);
        var (s2, h2) = Moments(hidden, 5);
        var fc1 = stats["fc1.weight"];
        var fc2 = stats["fc2.weight"];
        Assert.Equal(10, fc1.Rows);
        Assert.Equal(10, fc2.Rows);
        Close(s1, fc1.InputSquaredSums!);
        Close(h1, fc1.Hessian!);
        Close(s2, fc2.InputSquaredSums!);
        Close(h2, fc2.Hessian!);
        Assert.Null(fc1.TaylorSums);
    }

    [Fact]
    public void Conv_statistics_follow_im2col_with_padding_strides_dilations_and_groups()
    {
        var graph = ConvModel();
        var data = RandomImages(5, 4, 5, 5);
        var conv = PrunableLayers.Find(graph).Single(l => l.Kind == LayerKind.Conv);
        Assert.Equal(18, conv.Reduction);
        var stats = Calibration.Collect(graph, [conv], data, CalibrationNeeds.InputNorms | CalibrationNeeds.Hessian, Options(5, 2))[conv.WeightName];

        // Output 2 x 5: oh*2 - 1 + ki, ow - 2 + 2*kj; column j = c*9 + ki*3 + kj of the group's channel c.
        var rows = new List<double[]>[] { [], [] };
        for (int n = 0; n < data.Count; n++)
        {
            var x = Image(data, n);
            for (int g = 0; g < 2; g++)
                for (int oh = 0; oh < 2; oh++)
                    for (int ow = 0; ow < 5; ow++)
                    {
                        var v = new double[18];
                        for (int c = 0; c < 2; c++)
                            for (int ki = 0; ki < 3; ki++)
                                for (int kj = 0; kj < 3; kj++)
                                {
                                    int ih = oh * 2 - 1 + ki, iw = ow - 2 + 2 * kj;
                                    if (ih is >= 0 and < 5 && iw is >= 0 and < 5) v[c * 9 + ki * 3 + kj] = x[((g * 2 + c) * 5 + ih) * 5 + iw];
                                }
                        rows[g].Add(v);
                    }
        }
        var (s0, h0) = Moments(rows[0], 18);
        var (s1, h1) = Moments(rows[1], 18);
        Assert.Equal(5 * 10, stats.Rows);
        Close([.. s0, .. s1], stats.InputSquaredSums!);
        Close([.. h0, .. h1], stats.Hessian!);
    }

    [Fact]
    public void Hessian_is_exactly_symmetric()
    {
        var graph = ConvModel();
        var data = RandomImages(3, 4, 5, 5);
        var layers = PrunableLayers.Find(graph);
        var stats = Calibration.Collect(graph, layers, data, CalibrationNeeds.Hessian, Options(3, 3));
        foreach (var layer in layers)
        {
            var h = stats[layer.WeightName].Hessian!;
            int r = layer.Reduction;
            Assert.Equal(layer.Groups * r * r, h.Length);
            for (int o = 0; o < h.Length; o += r * r)
                for (int i = 0; i < r; i++)
                    for (int j = 0; j < r; j++) Assert.Equal(h[o + i * r + j], h[o + j * r + i]);
            Assert.Null(stats[layer.WeightName].InputSquaredSums);
        }
    }

    [Fact]
    public void Taylor_sums_equal_squared_weight_gradient_products_per_batch()
    {
        var data = TinyModels.Separable(30);
        var graph = TinyModels.Mlp(); // x [N,1,1,8] -> MatMul w1 [8,16] + b1 -> Relu -> MatMul w2 [16,3] + b2
        var layers = PrunableLayers.Find(graph);
        var options = Options(20, 8); // batches of 8, 8 and 4
        var stats = Calibration.Collect(graph, layers, data, CalibrationNeeds.Gradients, options);

        var w1 = graph.Initializers["w1"].Floats.ToArray();
        var b1 = graph.Initializers["b1"].Floats.ToArray();
        var w2 = graph.Initializers["w2"].Floats.ToArray();
        var b2 = graph.Initializers["b2"].Floats.ToArray();
        var order = Calibration.SelectImages(data, options);
        Assert.Equal(20, order.Length);
        var t1 = new double[w1.Length];
        var t2 = new double[w2.Length];
        for (int start = 0; start < 20; start += 8)
        {
            int count = Math.Min(8, 20 - start);
            var g1 = new double[w1.Length];
            var g2 = new double[w2.Length];
            for (int t = 0; t < count; t++)
            {
                int idx = order[start + t];
                var x = Image(data, idx);
                var pre = new double[16];
                var a = new double[16];
                for (int o = 0; o < 16; o++)
                {
                    double s = b1[o];
                    for (int i = 0; i < 8; i++) s += x[i] * w1[i * 16 + o];
                    pre[o] = s;
                    a[o] = Math.Max(0, s);
                }
                var z = new double[3];
                for (int k = 0; k < 3; k++)
                {
                    double s = b2[k];
                    for (int o = 0; o < 16; o++) s += a[o] * w2[o * 3 + k];
                    z[k] = s;
                }
                double max = z.Max(), sum = z.Sum(v => Math.Exp(v - max));
                var dz = z.Select((v, k) => (Math.Exp(v - max) / sum - (k == data.Labels[idx] ? 1 : 0)) / count).ToArray();
                for (int o = 0; o < 16; o++)
                {
                    double da = 0;
                    for (int k = 0; k < 3; k++) { g2[o * 3 + k] += a[o] * dz[k]; da += dz[k] * w2[o * 3 + k]; }
                    double dpre = pre[o] > 0 ? da : 0;
                    for (int i = 0; i < 8; i++) g1[i * 16 + o] += x[i] * dpre;
                }
            }
            for (int i = 0; i < t1.Length; i++) t1[i] += Math.Pow(w1[i] * g1[i], 2);
            for (int i = 0; i < t2.Length; i++) t2[i] += Math.Pow(w2[i] * g2[i], 2);
        }
        Assert.Equal(3, stats["w1"].GradientBatches);
        Close(t1, stats["w1"].TaylorSums!, 1e-4);
        Close(t2, stats["w2"].TaylorSums!, 1e-4);
        Assert.Null(stats["w1"].Hessian);
    }

    [Fact]
    public void Gradient_pass_leaves_weights_and_running_statistics_unchanged()
    {
        var b = new GraphBuilder("bn", 4);
        var x = b.Input("x", Dim.Sym("N"), 1, 4, 4);
        b.Output(b.Linear(b.Flatten(b.Relu(b.BatchNorm(b.Conv(x, 2, 3, pad: 1, name: "conv"), name: "bn"))), 3, name: "fc"), "logits");
        var graph = b.Build();
        var data = RandomImages(12, 1, 4, 4);
        var before = graph.Initializers.ToDictionary(kv => kv.Key, kv => kv.Value.Floats.ToArray());
        var stats = Calibration.Collect(graph, PrunableLayers.Find(graph), data, CalibrationNeeds.Gradients | CalibrationNeeds.InputNorms, Options(12, 5));
        foreach (var (name, values) in before) Assert.Equal(values, graph.Initializers[name].Floats.ToArray());
        Assert.Equal(3, stats["conv.weight"].GradientBatches);
        Assert.Contains(stats["conv.weight"].TaylorSums!, v => v > 0);
        Assert.Equal(12 * 16, stats["conv.weight"].Rows);
    }

    [Fact]
    public void Images_are_drawn_by_the_seed_without_repetition()
    {
        var data = RandomImages(50, 1, 1, 2);
        var a = Calibration.SelectImages(data, new CalibrationOptions { Images = 20, Seed = 1 });
        var again = Calibration.SelectImages(data, new CalibrationOptions { Images = 20, Seed = 1 });
        var other = Calibration.SelectImages(data, new CalibrationOptions { Images = 20, Seed = 2 });
        Assert.Equal(a, again);
        Assert.NotEqual(a, other);
        Assert.Equal(20, a.Distinct().Count());
        Assert.Equal(Enumerable.Range(0, 50), Calibration.SelectImages(data, new CalibrationOptions { Images = 80 }));
    }

    [Fact]
    public void A_layer_too_wide_for_a_Hessian_is_refused_but_its_norms_are_collected()
    {
        var graph = GemmModel();
        var data = RandomImages(4, 1, 1, 6);
        var layers = PrunableLayers.Find(graph);
        var options = Options(4, 4) with { MaxHessianReduction = 5 };
        var e = Assert.Throws<ArgumentException>(() => Calibration.Collect(graph, layers, data, CalibrationNeeds.Hessian, options));
        Assert.Contains("fc1", e.Message);
        var norms = Calibration.Collect(graph, layers, data, CalibrationNeeds.InputNorms, options);
        Assert.Equal(6, norms["fc1.weight"].InputSquaredSums!.Length);
    }

    [Fact]
    public void MatMul_rows_are_every_vector_along_the_last_axis()
    {
        // x [N,1,2,3] -> MatMul w [3,2]: each image gives two rows.
        var b = new GraphBuilder("mm", 1);
        var x = b.Input("x", Dim.Sym("N"), 1, 2, 3);
        var w = b.Parameter("w", PruningFixtures.Random(5, 1, 3, 2));
        b.Output(b.Node("MatMul", [x, w], null, "mm"), "y");
        var graph = b.Build();
        var data = RandomImages(3, 1, 2, 3);
        var stats = Calibration.Collect(graph, PrunableLayers.Find(graph), data, CalibrationNeeds.InputNorms | CalibrationNeeds.Hessian, Options(3, 2))["w"];
        var rows = new List<double[]>();
        for (int n = 0; n < 3; n++)
        {
            var img = Image(data, n);
            rows.Add([img[0], img[1], img[2]]);
            rows.Add([img[3], img[4], img[5]]);
        }
        var (s, h) = Moments(rows, 3);
        Assert.Equal(6, stats.Rows);
        Close(s, stats.InputSquaredSums!);
        Close(h, stats.Hessian!);
    }
}
