using Prunus.Tests.Support;
using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Pruning.Structured;
using Prunus.Tensors;

namespace Prunus.Tests.Pruning.Structured;

public class BatchNormRecalibrationTests
{
    private const int Batches = 3, BatchSize = 3;

    /// <summary>
    /// Per channel of the BatchNorm <paramref name="bn"/>'s input: the average over the batches of the batch mean and
    /// unbiased variance, measured on <paramref name="g"/> as it stands, with the images converted by hand.
    /// </summary>
    private static (double[] Mean, double[] Var) HandStatistics(ModelGraph g, string bn, ImageDataset data)
    {
        var input = g.FindNode(bn)!.Inputs[0];
        var plan = Planner.Compile(g, [BatchSize, 1, data.Height, data.Width], new PlanOptions { ConstantWeights = false, KeepValues = new HashSet<string> { input } });
        int size = data.ImageSize;
        double[]? mean = null, variance = null;
        for (int k = 0; k < Batches; k++)
        {
            var x = plan.Input(0).Floats;
            for (int i = 0; i < BatchSize * size; i++) x[i] = data.Images[k * BatchSize * size + i] / 255f;
            plan.Run();
            var v = plan.Value(input)!;
            int c = v.Shape[1], plane = v.Shape[2] * v.Shape[3];
            mean ??= new double[c];
            variance ??= new double[c];
            for (int ch = 0; ch < c; ch++)
            {
                var values = new List<double>();
                for (int n = 0; n < BatchSize; n++)
                    for (int p = 0; p < plane; p++) values.Add(v.Floats[(n * c + ch) * plane + p]);
                double m = values.Average();
                mean[ch] += m / Batches;
                variance[ch] += values.Sum(e => (e - m) * (e - m)) / (values.Count - 1) / Batches;
            }
        }
        return (mean!, variance!);
    }

    private static void SetStatistics(ModelGraph g, string bn, (double[] Mean, double[] Var) s)
    {
        var node = g.FindNode(bn)!;
        for (int c = 0; c < s.Mean.Length; c++)
        {
            g.Initializers[node.Inputs[3]].Floats[c] = (float)s.Mean[c];
            g.Initializers[node.Inputs[4]].Floats[c] = (float)s.Var[c];
        }
    }

    private static void AssertStatistics(ModelGraph g, string bn, (double[] Mean, double[] Var) expected)
    {
        var node = g.FindNode(bn)!;
        TensorAssert.Close(expected.Mean.Select(v => (float)v).ToArray(), g.Initializers[node.Inputs[3]].Floats, 1e-5, 1e-6, $"{bn} mean");
        TensorAssert.Close(expected.Var.Select(v => (float)v).ToArray(), g.Initializers[node.Inputs[4]].Floats, 1e-5, 1e-6, $"{bn} variance");
    }

    [Fact]
    public void RecalibratedStatisticsEqualStatisticsMeasuredLayerByLayer()
    {
        var model = StructuredModels.TwoBatchNorms();
        var a = ChannelDependencies.Find(model);
        var pruned = ChannelPruning.Apply(a, new ChannelSelection().Remove(a.GroupOf("c1"), 1).Remove(a.GroupOf("c2"), 0, 3)).Graph;
        var data = StructuredModels.Images(10, 6);

        var reference = pruned.Clone();
        var stale = HandStatistics(reference, "bn2", data); // bn2's input as measured before bn1 is recalibrated
        var bn1 = HandStatistics(reference, "bn1", data);
        SetStatistics(reference, "bn1", bn1);
        var bn2 = HandStatistics(reference, "bn2", data);

        var before = StructuredModels.Run(pruned, StructuredModels.Input(pruned));
        Assert.Equal(2, BatchNormRecalibration.Run(pruned, data, Batches, BatchSize));
        AssertStatistics(pruned, "bn1", bn1);
        AssertStatistics(pruned, "bn2", bn2);
        Assert.Equal([3], pruned.Initializers["bn2.running_mean"].Shape);
        // bn2 was measured behind the new bn1: the stale measure differs.
        Assert.True(Math.Abs(stale.Mean[0] - bn2.Mean[0]) > 1e-3);
        Assert.NotEqual(before, StructuredModels.Run(pruned, StructuredModels.Input(pruned)));
    }

    [Fact]
    public void OneBatchGivesThatBatchsStatistics()
    {
        var g = StructuredModels.TwoBatchNorms();
        var data = StructuredModels.Images(4, 6);
        BatchNormRecalibration.Run(g, data, batches: 5, batchSize: 4);
        // bn1 reads the first conv of the images: check against a direct 1-image-per-row computation of conv c1.
        var w = g.Initializers["c1.weight"].Floats; // [4, 1, 3, 3], pad 1
        var bias = g.Initializers["c1.bias"].Floats;
        var mean = g.Initializers["bn1.running_mean"].Floats;
        var variance = g.Initializers["bn1.running_var"].Floats;
        for (int k = 0; k < 4; k++)
        {
            var values = new List<double>();
            for (int n = 0; n < 4; n++)
                for (int y = 0; y < 6; y++)
                    for (int x = 0; x < 6; x++)
                    {
                        double s = bias[k];
                        for (int dy = -1; dy <= 1; dy++)
                            for (int dx = -1; dx <= 1; dx++)
                                if (y + dy is >= 0 and < 6 && x + dx is >= 0 and < 6)
                                    s += w[k * 9 + (dy + 1) * 3 + dx + 1] * (data.Images[n * 36 + (y + dy) * 6 + x + dx] / 255f);
                        values.Add(s);
                    }
            double m = values.Average();
            Assert.Equal(m, mean[k], 4);
            Assert.Equal(values.Sum(v => (v - m) * (v - m)) / (values.Count - 1), variance[k], 4);
        }
    }

    [Fact]
    public void ModelsWithoutBatchNormAreLeftAlone()
    {
        var g = StructuredModels.Zoo("lenet5");
        var data = StructuredModels.Images(2, 28);
        Assert.Equal(0, BatchNormRecalibration.Run(g, data, 1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => BatchNormRecalibration.Run(g, data, 0, 2));
    }
}
