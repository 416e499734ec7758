using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Passes;

/// <summary>Runs graphs before and after a pass and compares: the passes' contract is "same outputs, fewer nodes".</summary>
internal static class PassTestSupport
{
    /// <summary>Random inputs for every data input, symbolic dimensions taken as <paramref name="batch"/>.</summary>
    public static Dictionary<string, Tensor> Inputs(ModelGraph g, int batch = 2, int seed = 1) =>
        g.DataInputs.Select((input, i) => (input.Name, TensorAssert.Random(seed + i, -1, 1, input.Concrete(batch))))
            .ToDictionary(p => p.Name, p => p.Item2);

    /// <summary>Every output of <paramref name="g"/> on <paramref name="inputs"/>.</summary>
    public static Dictionary<string, Tensor> Run(ModelGraph g, Dictionary<string, Tensor> inputs) =>
        new InferenceSession(g, new PlanOptions { Pool = TestPools.Two }).Run(inputs);

    /// <summary>
    /// Applies <paramref name="pass"/> to a copy of <paramref name="g"/>, checks the copy still validates (nodes in
    /// topological order, as export needs), that the outputs agree within float rounding for two batch sizes, and
    /// returns the copy and the pass's rewrite count.
    /// </summary>
    public static (ModelGraph After, int Rewrites) ApplyAndCompare(ModelGraph g, IGraphPass pass, double rtol = 1e-5, params int[] batches)
    {
        var after = g.Clone();
        int rewrites = pass.Apply(after);
        AssertSameOutputs(g, after, rtol, batches);
        return (after, rewrites);
    }

    /// <summary>Checks that <paramref name="after"/> is well formed and computes what <paramref name="before"/> does.</summary>
    public static void AssertSameOutputs(ModelGraph before, ModelGraph after, double rtol = 1e-5, params int[] batches)
    {
        AssertTopologicallyOrdered(after);
        Assert.Equal(before.Outputs.Select(o => o.Name), after.Outputs.Select(o => o.Name));
        Assert.Equal(before.Inputs.Select(o => o.Name), after.Inputs.Select(o => o.Name));
        foreach (int batch in batches.Length == 0 ? [1, 3] : batches)
        {
            var inputs = Inputs(before, batch, seed: batch);
            var expected = Run(before, inputs);
            var actual = Run(after, inputs);
            foreach (var (name, e) in expected)
            {
                var a = actual[name];
                Assert.Equal(e.Shape, a.Shape);
                if (e.Type != DataType.Float32) { Assert.Equal(e.ToInt64Array(), a.ToInt64Array()); continue; }
                // Relative to each value, with a floor relative to the output's scale (sums that cancel to near zero).
                double scale = e.Floats.Length == 0 ? 1 : e.Floats.ToArray().Max(v => Math.Abs(v));
                TensorAssert.Close(e.Floats, a.Floats, rtol, rtol * scale, name);
            }
        }
    }

    /// <summary>Each node reads only graph inputs, initializers and outputs of earlier nodes.</summary>
    public static void AssertTopologicallyOrdered(ModelGraph g)
    {
        var defined = new HashSet<string>(g.Inputs.Select(i => i.Name).Concat(g.Initializers.Keys));
        foreach (var n in g.Nodes)
        {
            foreach (var i in n.Inputs) Assert.True(i.Length == 0 || defined.Contains(i), $"{n} reads '{i}' before it is defined");
            foreach (var o in n.Outputs) if (o.Length > 0) Assert.True(defined.Add(o), $"'{o}' is defined twice");
        }
        foreach (var o in g.Outputs) Assert.Contains(o.Name, defined);
    }

    /// <summary>Nodes of <paramref name="opType"/> (any domain).</summary>
    public static int Count(ModelGraph g, string opType) => g.Nodes.Count(n => n.OpType == opType);

    /// <summary>Gives every BatchNormalization non-trivial scale, shift and statistics, so folding them is tested for real.</summary>
    public static ModelGraph RandomizeBatchNorms(ModelGraph g, int seed = 7)
    {
        var rng = new Random(seed);
        foreach (var bn in g.Nodes.Where(n => n.OpType == "BatchNormalization"))
            for (int i = 1; i <= 4; i++)
            {
                var t = g.Initializers[bn.Inputs[i]];
                var s = t.Floats;
                for (int c = 0; c < s.Length; c++)
                    s[c] = i switch
                    {
                        1 => 0.5f + (float)rng.NextDouble(),          // scale
                        2 => (float)rng.NextDouble() - 0.5f,          // shift
                        3 => 0.4f * ((float)rng.NextDouble() - 0.5f), // running mean
                        _ => 0.5f + (float)rng.NextDouble(),          // running variance
                    };
            }
        return g;
    }

    /// <summary>A float initializer of uniform values in [lo, hi).</summary>
    public static Tensor RandomTensor(int seed, float lo, float hi, params int[] shape) => TensorAssert.Random(seed, lo, hi, shape);
}
