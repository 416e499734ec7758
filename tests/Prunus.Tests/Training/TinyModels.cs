using Prunus.Data;
using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Tests.Training;

/// <summary>Small models and datasets that train in milliseconds, for the trainer tests.</summary>
internal static class TinyModels
{
    /// <summary>
    /// A separable problem: <paramref name="classes"/> prototype patterns of <paramref name="features"/> pixels
    /// (1 x 1 x F images), each image its class's prototype plus noise.
    /// </summary>
    public static ImageDataset Separable(int count, int features = 8, int classes = 3, int seed = 1)
    {
        var rng = new Random(seed);
        var prototypes = new byte[classes, features];
        for (int c = 0; c < classes; c++)
            for (int f = 0; f < features; f++) prototypes[c, f] = (byte)(rng.Next(2) == 0 ? 40 : 215);
        var images = new byte[count * features];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = rng.Next(classes);
            for (int f = 0; f < features; f++)
                images[i * features + f] = (byte)Math.Clamp(prototypes[labels[i], f] + rng.Next(-40, 41), 0, 255);
        }
        return new ImageDataset(images, labels, 1, 1, features, classes);
    }

    /// <summary>
    /// x [N,1,1,F] (or [N,F]) -> MatMul + Add (F->H) -> Relu (-> Dropout) -> MatMul + Add (H->K): logits [N,1,1,K]
    /// (or [N,K]), weights drawn from <paramref name="seed"/>.
    /// </summary>
    public static ModelGraph Mlp(int features = 8, int hidden = 16, int classes = 3, int seed = 2, bool flatInput = false, float dropout = 0)
    {
        var rng = new Random(seed);
        Tensor Uniform(float bound, params int[] shape)
        {
            var t = Tensor.Zeros(shape);
            for (int i = 0; i < t.Length; i++) t.Floats[i] = (float)(rng.NextDouble() * 2 - 1) * bound;
            return t;
        }
        var g = new ModelGraph { Name = "tiny" };
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, flatInput ? [Dim.Sym("N"), features] : [Dim.Sym("N"), 1, 1, features]));
        g.Initializers["w1"] = Uniform(1 / MathF.Sqrt(features), features, hidden);
        g.Initializers["b1"] = Uniform(1 / MathF.Sqrt(features), hidden);
        g.Initializers["w2"] = Uniform(1 / MathF.Sqrt(hidden), hidden, classes);
        g.Initializers["b2"] = Uniform(1 / MathF.Sqrt(hidden), classes);
        g.Nodes.Add(new Node("MatMul", "fc1", ["x", "w1"], ["h0"]));
        g.Nodes.Add(new Node("Add", "fc1_bias", ["h0", "b1"], ["h"]));
        g.Nodes.Add(new Node("Relu", "relu", ["h"], ["a"]));
        var last = "a";
        if (dropout > 0)
        {
            g.Initializers["ratio"] = Tensor.Scalar(dropout);
            g.Nodes.Add(new Node("Dropout", "drop", ["a", "ratio"], ["d"]));
            last = "d";
        }
        g.Nodes.Add(new Node("MatMul", "fc2", [last, "w2"], ["z"]));
        g.Nodes.Add(new Node("Add", "fc2_bias", ["z", "b2"], ["logits"]));
        g.Outputs.Add(new ValueInfo("logits", DataType.Float32, flatInput ? [Dim.Sym("N"), classes] : [Dim.Sym("N"), 1, 1, classes]));
        return g;
    }

    /// <summary>28x28 images whose class (of 10) is the row holding a bright bar, with noise: easy for any image model.</summary>
    public static ImageDataset Bars(int count, int seed = 3)
    {
        var rng = new Random(seed);
        var images = new byte[count * 784];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = rng.Next(10);
            var img = images.AsSpan(i * 784, 784);
            for (int p = 0; p < 784; p++) img[p] = (byte)rng.Next(60);
            int row = 2 + 2 * labels[i];
            for (int x = 4; x < 24; x++) img[row * 28 + x] = (byte)(200 + rng.Next(56));
        }
        return new ImageDataset(images, labels, 1, 28, 28, 10);
    }
}
