using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Import;

[Trait("Category", "Kernel")]
public class RoundSignTests
{
    // Halves, near-halves, integers, signed zeros, large values and NaN.
    private static float[] Probe(int n)
    {
        var rng = new Random(n);
        float[] special = [0.5f, 1.5f, 2.5f, -0.5f, -2.5f, 0f, -0f, 4.5000005f, 8388609f, float.NaN, -1e-30f];
        return Enumerable.Range(0, n).Select(i => i % 3 == 0 ? special[i / 3 % special.Length] : (float)(rng.NextDouble() * 20 - 10)).ToArray();
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Round_kernel_matches_reference(int n)
    {
        var x = Probe(n);
        var fast = new float[n];
        var reference = new float[n];
        VectorLoops.Unary<Elementwise.RoundOp>(x, fast);
        VectorLoops.UnaryReference<Elementwise.RoundOp>(x, reference);
        Assert.Equal(reference, fast);
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Sign_kernel_matches_reference(int n)
    {
        var x = Probe(n);
        var fast = new float[n];
        var reference = new float[n];
        VectorLoops.Unary<Elementwise.SignOp>(x, fast);
        VectorLoops.UnaryReference<Elementwise.SignOp>(x, reference);
        Assert.Equal(reference, fast);
    }

    [Fact]
    public void Round_halves_to_even()
    {
        var x = Tensor.From(new[] { 0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, 2.6f, -2.6f, 0.1f }, 9);
        var y = new OpCase("Round").Input(x).Run1();
        Assert.Equal(new[] { 0f, 2f, 2f, -0f, -2f, 2f, 3f, -3f, 0f }, y.Floats.ToArray());
        var d = new OpCase("Round").Input(Tensor.From(new[] { 0.5, 1.5, -2.5, 2.5000001 }, 4)).Run1();
        Assert.Equal(new[] { 0.0, 2.0, -2.0, 3.0 }, d.Span<double>().ToArray());
        Assert.Throws<ModelException>(() => new OpCase("Round").Input(Tensor.From(new long[] { 1 }, 1)).Run1());
    }

    [Fact]
    public void Sign_of_floats_and_integers()
    {
        var y = new OpCase("Sign").Input(Tensor.From(new[] { -3f, -0f, 0f, 2f, float.NaN, 1e-40f }, 6)).Run1();
        Assert.Equal(new[] { -1f, 0f, 0f, 1f, 0f, 1f }, y.Floats.ToArray());
        var l = new OpCase("Sign").Input(Tensor.From(new[] { long.MinValue, -1, 0, 7 }, 4)).Run1();
        Assert.Equal(new long[] { -1, -1, 0, 1 }, l.Span<long>().ToArray());
        var b = new OpCase("Sign").Input(Tensor.From(new sbyte[] { -128, 0, 5 }, 3)).Run1();
        Assert.Equal(new sbyte[] { -1, 0, 1 }, b.Span<sbyte>().ToArray());
        var u = new OpCase("Sign").Input(Tensor.From(new byte[] { 0, 200 }, 2)).Run1();
        Assert.Equal(new byte[] { 0, 1 }, u.Span<byte>().ToArray());
    }

    [Fact]
    public void No_gradient_flows_through_round_or_sign()
    {
        // y = Round(x) + Sign(x) + x: only the identity path contributes, so dx = dy.
        var g = new Prunus.Graph.GraphBuilder("steps");
        var x = g.Input("x", 4);
        g.Output(g.Add(g.Add(g.Node("Round", [x]), g.Node("Sign", [x])), x), "y");
        var plan = Prunus.Graph.Planning.Planner.Compile(g.Build(), [4], new Prunus.Graph.Planning.PlanOptions { InputGradients = new HashSet<string> { "x" } });
        plan.Input(0).CopyFrom(Tensor.From(new[] { -1.3f, 0.2f, 0.7f, 2.5f }, 4));
        plan.Run();
        plan.OutputGradient().Floats.Fill(1f);
        plan.Backward();
        Assert.Equal(new[] { 1f, 1f, 1f, 1f }, plan.Gradient("x").Floats.ToArray());
    }
}
