using Prunus.Data;
using Prunus.Graph;
using Prunus.Models;
using Prunus.Pruning;
using Prunus.Tests.Support;
using Prunus.Training;

namespace Prunus.Tests.Quantization;

/// <summary>Datasets and quickly trained models for the quantization tests.</summary>
internal static class QuantFixtures
{
    /// <summary>
    /// 28x28 images of 10 classes that a small model learns in a moment but not perfectly: class k is a band at
    /// rows 4+2k and 5+2k over noise, shifted a row up or down in a quarter of the images (so neighbouring
    /// classes overlap).
    /// </summary>
    public static ImageDataset Bands(int count, int seed)
    {
        var rng = new Random(seed);
        var images = new byte[count * 784];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            int k = rng.Next(10);
            labels[i] = k;
            var img = images.AsSpan(i * 784, 784);
            for (int p = 0; p < 784; p++) img[p] = (byte)rng.Next(0, 80);
            int shift = rng.NextDouble() < 0.25 ? (rng.Next(2) * 2 - 1) : 0;
            for (int row = 4 + 2 * k + shift; row < 6 + 2 * k + shift; row++)
                for (int col = 2; col < 26; col++) img[row * 28 + col] = (byte)Math.Min(255, img[row * 28 + col] + rng.Next(60, 140));
        }
        return new ImageDataset(images, labels, 1, 28, 28, 10) { Source = "bands" };
    }

    private static readonly Dictionary<string, ModelGraph> Trained = [];

    /// <summary>Zoo model <paramref name="name"/> trained 3 epochs on 512 band images (cached; callers get a copy): about 0.87 accurate.</summary>
    public static ModelGraph Train(string name)
    {
        lock (Trained)
        {
            if (!Trained.TryGetValue(name, out var graph))
            {
                graph = ModelZoo.Create(name, new ZooOptions { Seed = 5 });
                using var trainer = new Trainer(graph, Bands(512, seed: 1), new TrainerOptions
                {
                    Epochs = 3,
                    BatchSize = 32,
                    LearningRate = 0.05,
                    Seed = 3,
                    Pool = TestPools.Two,
                });
                trainer.Run();
                Trained[name] = graph;
            }
            return graph.Clone();
        }
    }

    /// <summary>Calibration options for tests: few images, two threads.</summary>
    public static CalibrationOptions Sampling(int images = 64) => new() { Images = images, BatchSize = 32, Seed = 1, Pool = TestPools.Two };

    /// <summary>The node that produces <paramref name="value"/> (fails when none).</summary>
    public static Node ProducerOf(ModelGraph g, string value) =>
        g.Nodes.SingleOrDefault(n => n.Outputs.Contains(value)) ?? throw new Xunit.Sdk.XunitException($"nothing produces '{value}'");
}
