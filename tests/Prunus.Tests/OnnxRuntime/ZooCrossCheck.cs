using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Models;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Prunus.Training;

namespace Prunus.Tests.OnnxRuntime;

/// <summary>Zoo models trained a few steps, inputs for them, and the comparison of Prunus's outputs with ONNX Runtime's.</summary>
internal static class ZooCrossCheck
{
    /// <summary>Images of the zoo's default input: 1 x 28 x 28.</summary>
    public static readonly int[] Sample = [1, 28, 28];

    /// <summary>The options each zoo model is cross-checked with: small enough to train in a moment.</summary>
    public static ZooOptions OptionsFor(string model) => model switch
    {
        "resnet" => new ZooOptions { Seed = 3, Depth = 8 },
        "mobilenet" => new ZooOptions { Seed = 3, Width = 0.5f },
        "mobilenet-relu6" => new ZooOptions { Seed = 3, Width = 0.5f, Activation = "relu6" },
        _ => new ZooOptions { Seed = 3 },
    };

    /// <summary>
    /// Builds the zoo model <paramref name="model"/> ("mobilenet-relu6" is mobilenet with ReLU6) and trains it 4 steps
    /// of 4 random images, so that its weights and BatchNorm statistics are no longer their initial values.
    /// </summary>
    /// <remarks>
    /// BatchNorm momentum is set to 0.1 for these few steps so that the running statistics come close to real batch
    /// statistics. With the zoo's 0.9 they would stay near their initial mean 0 and variance 1, under which the
    /// activations of the deeper models shrink layer by layer until the logits hardly depend on the input, and a
    /// wrong padding or a wrong HardSigmoid slope would change the outputs by less than the tolerance. The attribute
    /// plays no part in inference.
    /// </remarks>
    public static ModelGraph Trained(string model)
    {
        var graph = ModelZoo.Create(model.Split('-')[0], OptionsFor(model));
        foreach (var n in graph.Nodes.Where(n => n.OpType == "BatchNormalization")) n.Attributes["momentum"] = AttributeValue.Of(0.1f);
        var rng = new Random(11);
        var images = new byte[16 * 28 * 28];
        rng.NextBytes(images);
        var labels = Enumerable.Range(0, 16).Select(_ => rng.Next(10)).ToArray();
        var data = new ImageDataset(images, labels, 1, 28, 28, classCount: 10);
        using var trainer = new Trainer(graph, data, new TrainerOptions
        {
            Epochs = 1,
            BatchSize = 4,
            LearningRate = 0.05,
            Seed = 7,
            Pool = TestPools.Two,
        });
        var result = trainer.Run();
        Assert.Equal(4, result.GlobalStep);
        Assert.True(double.IsFinite(trainer.LastLoss), $"{model}: loss {trainer.LastLoss}");
        return graph;
    }

    /// <summary>Asserts that every BatchNormalization's running statistics moved away from their initial 0 and 1.</summary>
    public static void AssertBatchNormStatisticsMoved(ModelGraph graph)
    {
        var nodes = graph.Nodes.Where(n => n.OpType == "BatchNormalization").ToList();
        Assert.NotEmpty(nodes);
        foreach (var n in nodes)
        {
            var mean = graph.Initializers[n.Inputs[3]].Floats.ToArray();
            var variance = graph.Initializers[n.Inputs[4]].Floats.ToArray();
            Assert.True(mean.Any(v => v != 0), $"{n.Name}: running mean is still zero");
            Assert.True(variance.Any(v => v != 1), $"{n.Name}: running variance is still one");
        }
    }

    /// <summary>
    /// <paramref name="batch"/> images in [0, 1] of the zoo's input shape: noise around a brightness and with a
    /// contrast drawn per image, so that the images differ in their global statistics too, as real ones do.
    /// </summary>
    public static Tensor Images(int batch, int seed)
    {
        var x = TensorAssert.Random(seed, 0, 1, [batch, .. Sample]);
        var rng = new Random(seed);
        int size = x.Length / batch;
        var s = x.Floats;
        for (int n = 0; n < batch; n++)
        {
            float brightness = (float)rng.NextDouble(), contrast = (float)rng.NextDouble();
            for (int i = n * size; i < (n + 1) * size; i++) s[i] = Math.Clamp(brightness + contrast * (s[i] - 0.5f), 0, 1);
        }
        return x;
    }

    /// <summary>
    /// Asserts that the logits [N,K] differ between the samples of a batch by at least 100 times the comparison's
    /// tolerance: a model whose outputs hardly depend on its input would hide disagreements.
    /// </summary>
    public static void AssertInputMatters(Tensor logits, string what)
    {
        var y = logits.Floats;
        int k = logits.Shape[1];
        double scale = 1, spread = 0;
        for (int i = 0; i < y.Length; i++) scale = Math.Max(scale, Math.Abs(y[i]));
        for (int i = k; i < y.Length; i++) spread = Math.Max(spread, Math.Abs(y[i] - y[i % k]));
        Assert.True(spread >= 1e-2 * scale, $"{what}: the logits of different images differ by at most {spread:G3}; the comparison would be blind");
    }

    /// <summary>Prunus's outputs of <paramref name="graph"/> on its first input.</summary>
    /// <summary>Zeros the smallest-magnitude <paramref name="fraction"/> of every weight of rank 2 or more (each on its own).</summary>
    public static void PruneEachWeight(ModelGraph graph, double fraction)
    {
        foreach (var (_, t) in graph.Initializers)
        {
            if (t.Rank < 2) continue;
            var w = t.Floats;
            var cut = w.ToArray().Select(MathF.Abs).Order().ElementAt((int)(w.Length * fraction));
            for (int i = 0; i < w.Length; i++) if (MathF.Abs(w[i]) < cut) w[i] = 0;
        }
    }

    public static Dictionary<string, Tensor> RunPrunus(ModelGraph graph, Tensor input) =>
        new InferenceSession(graph, new PlanOptions { Pool = TestPools.Two }).Run(new Dictionary<string, Tensor> { [graph.Inputs[0].Name] = input });

    /// <summary>
    /// Asserts that both sides give the same outputs: same names and shapes, and max |difference| &lt;= 1e-4 times
    /// max(1, max |expected|) for each. Returns the largest of those ratios of difference to scale.
    /// </summary>
    public static double AssertSame(IReadOnlyDictionary<string, Tensor> prunus, IReadOnlyDictionary<string, Tensor> ort, string what) =>
        RealModels.RealModelFiles.AssertClose(prunus, ort, $"{what}, Prunus (expected) vs. ONNX Runtime (got)");
}
