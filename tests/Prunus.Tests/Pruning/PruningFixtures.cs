using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Tests.Pruning;

/// <summary>Hand-built graphs whose weights hold known values, for mask selection tests.</summary>
internal static class PruningFixtures
{
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
