using Prunus.Graph;
using Prunus.Graph.Ops;
using Prunus.Graph.Passes;
using Prunus.Tensors;
using static Prunus.Tests.Passes.PassTestSupport;

namespace Prunus.Tests.Passes;

public class LayerNormFusionTests
{
    /// <summary>The decomposed layer norm over the trailing <paramref name="axes"/>, as exporters write it.</summary>
    private static ModelGraph Decomposed(long opset, long[] axes, bool squareByMul, bool scaleOnLeft, bool bias, int seed = 1)
    {
        var b = new GraphBuilder("ln", seed: (ulong)seed, opset: opset);
        var x = b.Input("x", Dim.Sym("N"), 5, 8);
        x = b.Relu(b.Node("MatMul", [x, b.Parameter("w", RandomTensor(seed + 2, -1, 1, 8, 8))]));   // x is an intermediate
        string Mean(string v)
        {
            if (opset >= 18) return b.Node("ReduceMean", [v, b.Parameter(b.UniqueName("axes"), Tensor.From(axes, axes.Length))]);
            return b.Node("ReduceMean", [v], new Dictionary<string, AttributeValue> { ["axes"] = AttributeValue.Of(axes) });
        }
        var d = b.Node("Sub", [x, Mean(x)]);
        var sq = squareByMul ? b.Mul(d, d) : b.Node("Pow", [d, b.Parameter("two", Tensor.Scalar(2f))]);
        var std = b.Node("Sqrt", [b.Add(Mean(sq), b.Parameter("eps", Tensor.Scalar(1e-5f)))]);
        var y = b.Node("Div", [d, std]);
        var normalized = axes.Length == 1 ? new[] { 8 } : new[] { 5, 8 };
        var gamma = b.Parameter("gamma", RandomTensor(seed, 0.5f, 1.5f, normalized));
        y = scaleOnLeft ? b.Mul(gamma, y) : b.Mul(y, gamma);
        if (bias) y = b.Add(y, b.Parameter("beta", RandomTensor(seed + 1, -0.5f, 0.5f, normalized)));
        b.Output(b.Relu(y), "y");
        return b.Build();
    }

    [Theory]
    [InlineData(17, false, false, true)]
    [InlineData(18, true, true, true)]
    [InlineData(17, false, true, false)]
    public void Fuses_the_decomposed_pattern_over_the_last_axis(long opset, bool squareByMul, bool scaleOnLeft, bool bias)
    {
        var g = Decomposed(opset, [-1], squareByMul, scaleOnLeft, bias);

        var (after, rewrites) = ApplyAndCompare(g, new LayerNormFusionPass(allowInternalOps: false));

        Assert.Equal(1, rewrites);
        var ln = after.Nodes.Single(n => n.OpType == "LayerNormalization");
        Assert.Equal("", ln.Domain);
        Assert.Equal(-1 + 3, ln.Attributes["axis"].Int);
        Assert.Equal(1e-5f, ln.Attributes["epsilon"].Float);
        Assert.Equal(bias ? 3 : 2, ln.Inputs.Count);
        Assert.Equal(["MatMul", "Relu", "LayerNormalization", "Relu"], after.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void Fuses_over_several_trailing_axes_into_the_internal_domain_before_opset_17()
    {
        var g = Decomposed(13, [1, 2], squareByMul: true, scaleOnLeft: false, bias: true);

        Assert.Equal(0, new LayerNormFusionPass(allowInternalOps: false).Apply(g.Clone()));
        var (after, rewrites) = ApplyAndCompare(g, new LayerNormFusionPass(allowInternalOps: true));

        Assert.Equal(1, rewrites);
        var ln = after.Nodes.Single(n => n.OpType == "LayerNormalization");
        Assert.Equal((PrunusDomain.Name, 1L), (ln.Domain, ln.Attributes["axis"].Int));
        Assert.True(after.Metadata.Opsets.ContainsKey(PrunusDomain.Name));
    }

    [Fact]
    public void Leaves_reductions_over_other_axes()
    {
        var g = Decomposed(17, [1], squareByMul: false, scaleOnLeft: false, bias: true);
        // Normalizing over axis 1 of [N,5,8] is not a layer norm over trailing axes; but the scale [8] would not fit either.
        Assert.Equal(0, new LayerNormFusionPass(allowInternalOps: true).Apply(g));
    }
}
