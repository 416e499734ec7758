using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

[Trait("Category", "Kernel")]
public class GemmOpTests
{
    /// <summary>Y = alpha op(A) op(B) + beta C with C broadcast from its own shape, in double.</summary>
    private static Tensor Reference(Tensor a, Tensor b, Tensor? c, bool ta, bool tb, float alpha, float beta)
    {
        int m = ta ? a.Shape[1] : a.Shape[0], k = ta ? a.Shape[0] : a.Shape[1], n = tb ? b.Shape[0] : b.Shape[1];
        var y = Tensor.Zeros(m, n);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double s = 0;
                for (int p = 0; p < k; p++)
                    s += (double)(ta ? a.Floats[p * m + i] : a.Floats[i * k + p]) * (tb ? b.Floats[j * k + p] : b.Floats[p * n + j]);
                double cv = 0;
                if (c is not null)
                {
                    int rows = c.Rank == 2 ? c.Shape[0] : 1, cols = c.Rank >= 1 ? c.Shape[^1] : 1;
                    cv = c.Floats[(rows == 1 ? 0 : i) * cols + (cols == 1 ? 0 : j)];
                }
                y.Floats[i * n + j] = (float)(alpha * s + beta * cv);
            }
        return y;
    }

    public static TheoryData<bool, bool, string> CaseData()
    {
        var d = new TheoryData<bool, bool, string>();
        foreach (bool ta in new[] { false, true })
            foreach (bool tb in new[] { false, true })
                foreach (var c in new[] { "none", "scalar", "n", "1n", "m1", "mn" })
                    d.Add(ta, tb, c);
        return d;
    }

    private static int[]? CShape(string c, int m, int n) => c switch
    {
        "scalar" => [],
        "n" => [n],
        "1n" => [1, n],
        "m1" => [m, 1],
        "mn" => [m, n],
        _ => null,
    };

    private static OpCase Build(bool ta, bool tb, string c, int m, int n, int k, float alpha, float beta, bool constB, bool constC, int seed = 1)
    {
        var a = TensorAssert.Random(seed, -1, 1, ta ? [k, m] : [m, k]);
        var b = TensorAssert.Random(seed + 1, -1, 1, tb ? [n, k] : [k, n]);
        var op = new OpCase("Gemm").Input(a);
        op = constB ? op.Const(b) : op.Input(b);
        if (CShape(c, m, n) is { } cs)
        {
            var ct = TensorAssert.Random(seed + 2, -1, 1, cs);
            op = constC ? op.Const(ct) : op.Input(ct);
        }
        return op.Attr("transA", ta ? 1L : 0L).Attr("transB", tb ? 1L : 0L).Attr("alpha", alpha).Attr("beta", beta);
    }

    [Theory]
    [MemberData(nameof(CaseData))]
    public void Forward_matches_reference(bool ta, bool tb, string c)
    {
        foreach (var (m, n, k) in new[] { (5, 7, 3), (1, 9, 6), (13, 1, 4), (33, 40, 17) })
            foreach (bool constant in new[] { false, true })
            {
                var op = Build(ta, tb, c, m, n, k, 0.75f, -1.25f, constant, constant);
                var inputs = op.Inputs.Select(i => i.Value).ToArray();
                var expected = Reference(inputs[0], inputs[1], inputs.Length > 2 ? inputs[2] : null, ta, tb, 0.75f, -1.25f);
                TensorAssert.Close(expected, op.Run1(), rtol: 1e-5, atol: 1e-5);
            }
    }

    [Fact]
    public void Defaults_are_alpha_one_beta_one_no_transpose()
    {
        var a = Tensor.From(new[] { 1f, 2f, 3f, 4f }, 2, 2);
        var b = Tensor.From(new[] { 5f, 6f, 7f, 8f }, 2, 2);
        var c = Tensor.From(new[] { 10f, 20f }, 2);
        var y = new OpCase("Gemm").Input(a).Input(b).Input(c).Run1();
        Assert.Equal(new[] { 19f + 10, 22f + 20, 43f + 10, 50f + 20 }, y.Floats.ToArray());
    }

    [Theory]
    [MemberData(nameof(CaseData))]
    public void Gradients_match_finite_differences(bool ta, bool tb, string c) =>
        GradCheck.Check(Build(ta, tb, c, 4, 5, 3, 0.5f, 1.5f, false, false));

    [Fact]
    public void Gradient_of_b_with_a_constant_packed_b_still_reaches_a()
    {
        // Inference plan with a constant B: the forward uses the pre-packed B, backward reads the original.
        GradCheck.Check(Build(false, true, "n", 6, 5, 4, 1f, 1f, constB: true, constC: true));
    }

    [Fact]
    public void Rejects_mismatched_inner_dimensions_and_bad_c()
    {
        var e = Assert.ThrowsAny<PrunusException>(() => new OpCase("Gemm").Input(Tensor.Zeros(2, 3)).Input(Tensor.Zeros(4, 5)).Run1());
        Assert.Contains("inner dimensions differ", e.Message);
        e = Assert.ThrowsAny<PrunusException>(() => new OpCase("Gemm").Input(Tensor.Zeros(2, 3)).Input(Tensor.Zeros(3, 5)).Input(Tensor.Zeros(3)).Run1());
        Assert.Contains("does not broadcast", e.Message);
        e = Assert.ThrowsAny<PrunusException>(() => new OpCase("Gemm").Input(Tensor.Zeros(2, 3, 1)).Input(Tensor.Zeros(3, 5)).Run1());
        Assert.Contains("rank 2", e.Message);
    }
}
