using Prunus.Data;
using Prunus.Graph;
using Prunus.Tests.Support;
using Prunus.Training;

namespace Prunus.Tests.Quantization.Qat;

/// <summary>A tiny convolutional classifier with BatchNorm and a dataset it can learn, for the QAT tests.</summary>
internal static class QatFixtures
{
    /// <summary>
    /// x [N,1,8,8] -> Conv 6@3x3 pad 1 (no bias) -> BatchNorm -> Relu -> MaxPool 2 -> Conv 8@3x3 -> Relu -> Flatten ->
    /// Gemm 32 -> 3 logits.
    /// </summary>
    public static ModelGraph Model(ulong seed = 5)
    {
        var b = new GraphBuilder("qat-net", seed);
        var x = b.Input("input", Dim.Sym("N"), 1, 8, 8);
        x = b.MaxPool(b.Relu(b.BatchNorm(b.Conv(x, 6, 3, pad: 1, bias: false, name: "conv1"), name: "bn1")), 2);
        x = b.Relu(b.Conv(x, 8, 3, name: "conv2"));
        b.Output(b.Linear(b.Flatten(x), 3, name: "fc"), "logits");
        return b.Build();
    }

    /// <summary>
    /// 8x8 images of 3 classes: a 3x3 blob whose position depends on the class (with a jitter of one pixel),
    /// a fainter blob at another class's place, and strong noise: hard enough that accuracy is not saturated.
    /// </summary>
    public static ImageDataset Data(int count, int seed)
    {
        var rng = new Random(seed);
        var images = new byte[count * 64];
        var labels = new int[count];
        (int R, int C)[] centers = [(2, 2), (2, 5), (5, 3)];
        for (int n = 0; n < count; n++)
        {
            int k = rng.Next(3);
            labels[n] = k;
            int at = n * 64;
            for (int i = 0; i < 64; i++) images[at + i] = (byte)rng.Next(0, 110);
            void Blob(int r0, int c0, int level)
            {
                for (int r = r0 - 1; r <= r0 + 1; r++)
                    for (int c = c0 - 1; c <= c0 + 1; c++)
                        if (r is >= 0 and < 8 && c is >= 0 and < 8) images[at + r * 8 + c] = (byte)Math.Min(255, images[at + r * 8 + c] + level);
            }
            Blob(centers[k].R + rng.Next(-1, 2), centers[k].C + rng.Next(-1, 2), 90);
            var other = centers[(k + 1 + rng.Next(2)) % 3];
            Blob(other.R + rng.Next(-1, 2), other.C + rng.Next(-1, 2), 60);
        }
        return new ImageDataset(images, labels, 1, 8, 8, 3);
    }

    /// <summary>The fixture model trained in float for <paramref name="epochs"/> epochs on <paramref name="data"/>.</summary>
    public static ModelGraph Trained(ImageDataset data, int epochs = 3)
    {
        var g = Model();
        using var trainer = new Trainer(g, data, new TrainerOptions { Epochs = epochs, BatchSize = 32, LearningRate = 0.05, Seed = 3, Pool = TestPools.Two });
        trainer.Run();
        return g;
    }

    /// <summary>Accuracy of <paramref name="g"/> on <paramref name="data"/>.</summary>
    public static double Accuracy(ModelGraph g, ImageDataset data) => new Evaluator(g, 256, TestPools.Two).Evaluate(data).Accuracy;
}
