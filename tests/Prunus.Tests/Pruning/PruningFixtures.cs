using Prunus.Data;
using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Tests.Pruning;

/// <summary>Small models and datasets for the pruning tests, with plain references of what calibration measures.</summary>
internal static class PruningFixtures
{
    /// <summary><paramref name="count"/> random images of C x H x W bytes with labels in [0, classes).</summary>
    public static ImageDataset RandomImages(int count, int channels, int height, int width, int classes = 3, int seed = 11)
    {
        var rng = new Random(seed);
        var images = new byte[count * channels * height * width];
        rng.NextBytes(images);
        var labels = Enumerable.Range(0, count).Select(_ => rng.Next(classes)).ToArray();
        return new ImageDataset(images, labels, channels, height, width, classes);
    }

    /// <summary>
    /// x [N,1,1,6] -> Flatten -> Gemm fc1 (weight [5,6], transB = 1) + bias -> Relu -> Gemm fc2 (weight [5,3], transB = 0):
    /// logits [N,3].
    /// </summary>
    public static ModelGraph GemmModel(ulong seed = 7)
    {
        var b = new GraphBuilder("gemm", seed);
        var x = b.Input("x", Dim.Sym("N"), 1, 1, 6);
        var h = b.Relu(b.Linear(b.Flatten(x), 5, name: "fc1"));
        var w2 = b.Parameter("fc2.weight", Random(seed + 1, 0.5f, 5, 3));
        b.Output(b.Node("Gemm", [h, w2], null, "fc2"), "logits");
        return b.Build();
    }

    /// <summary>Attributes of <see cref="ConvModel"/>'s conv: strides 2x1, dilations 1x2, pads top 1, left 2, bottom 0, right 2.</summary>
    public static readonly (int[] Strides, int[] Dilations, int[] PadsBegin) ConvAttributes = ([2, 1], [1, 2], [1, 2]);

    /// <summary>
    /// x [N,4,5,5] -> Conv (weight [6,2,3,3], group 2, strides 2x1, dilations 1x2, pads 1,2,0,2: output [N,6,2,5]) ->
    /// Relu -> Flatten -> Gemm (transB = 1): logits [N,3].
    /// </summary>
    public static ModelGraph ConvModel(ulong seed = 9)
    {
        var b = new GraphBuilder("conv", seed);
        var x = b.Input("x", Dim.Sym("N"), 4, 5, 5);
        var w = b.Parameter("conv.weight", Random(seed, 0.3f, 6, 2, 3, 3));
        var bias = b.Parameter("conv.bias", Random(seed + 1, 0.1f, 6));
        var y = b.Node("Conv", [x, w, bias], new Dictionary<string, AttributeValue>
        {
            ["group"] = AttributeValue.Of(2L),
            ["strides"] = AttributeValue.Of(new long[] { 2, 1 }),
            ["dilations"] = AttributeValue.Of(new long[] { 1, 2 }),
            ["pads"] = AttributeValue.Of(new long[] { 1, 2, 0, 2 }),
        }, "conv");
        b.Output(b.Linear(b.Flatten(b.Relu(y)), 3, name: "fc"), "logits");
        return b.Build();
    }

    /// <summary>Uniform values in [-bound, bound].</summary>
    public static Tensor Random(ulong seed, float bound, params int[] shape)
    {
        var rng = new Random((int)seed);
        var t = Tensor.Zeros(shape);
        for (int i = 0; i < t.Length; i++) t.Floats[i] = (float)(rng.NextDouble() * 2 - 1) * bound;
        return t;
    }

    /// <summary>Image <paramref name="index"/> as the model sees it (value / 255).</summary>
    public static float[] Image(ImageDataset data, int index)
    {
        var x = new float[data.ImageSize];
        for (int i = 0; i < x.Length; i++) x[i] = data.Images[index * data.ImageSize + i] / 255f;
        return x;
    }

    /// <summary>Per column sum of squares and X^T X of the given rows, in double.</summary>
    public static (double[] Squares, double[] Hessian) Moments(IReadOnlyList<double[]> rows, int r)
    {
        var s = new double[r];
        var h = new double[r * r];
        foreach (var x in rows)
            for (int i = 0; i < r; i++)
            {
                s[i] += x[i] * x[i];
                for (int j = 0; j < r; j++) h[i * r + j] += x[i] * x[j];
            }
        return (s, h);
    }

    /// <summary>Asserts that every value is within a relative tolerance of the expected one (scaled by the largest).</summary>
    public static void Close(double[] expected, double[] actual, double tolerance = 1e-5)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = Math.Max(1e-12, expected.Max(Math.Abs));
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * scale, $"at {i}: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>
    /// x [N,F] -> Gemm (transB = 1, W1 [H,F]) -> Relu -> MatMul (W2 [H,K]): two layers, one stored row-major, one
    /// transposed. Weight values are a seeded shuffle of distinct magnitudes, so rankings have no ties.
    /// </summary>
    public static ModelGraph TwoLayers(int features = 8, int hidden = 6, int classes = 4, int seed = 3)
    {
        var rng = new Random(seed);
        var g = new ModelGraph { Name = "two-layers" };
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, [Dim.Sym("N"), features]));
        g.Initializers["w1"] = Distinct(rng, 0.01f, hidden, features);
        g.Initializers["b1"] = Tensor.Zeros(hidden);
        g.Initializers["w2"] = Distinct(rng, 0.013f, hidden, classes);
        g.Nodes.Add(new Node("Gemm", "fc1", ["x", "w1", "b1"], ["h"]).With("transB", AttributeValue.Of(1L)));
        g.Nodes.Add(new Node("Relu", "relu", ["h"], ["a"]));
        g.Nodes.Add(new Node("MatMul", "fc2", ["a", "w2"], ["y"]));
        g.Outputs.Add(new ValueInfo("y", DataType.Float32, [Dim.Sym("N"), classes]));
        return g;
    }

    /// <summary>Values ±step·(1..n) in a seeded order and sign: all magnitudes distinct.</summary>
    public static Tensor Distinct(Random rng, float step, params int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        var values = Enumerable.Range(1, n).Select(i => i * step * (rng.Next(2) == 0 ? -1 : 1)).OrderBy(_ => rng.Next()).ToArray();
        return Tensor.From(values, shape);
    }

    /// <summary>Count of zeros in a mask.</summary>
    public static int Zeros(Tensor mask) => mask.Floats.ToArray().Count(v => v == 0);
}
