using Prunus.Kernels;
using Prunus.Tests.Support;

namespace Prunus.Tests.Kernels;

/// <summary>The formulas behind the kernels, at their vector width, against double-precision references and known values.</summary>
[Trait("Category", "Kernel")]
public class FormulaAccuracyTests
{
    private static float[] Grid(float lo, float hi, int n) =>
        Enumerable.Range(0, n).Select(i => lo + (hi - lo) * i / (n - 1)).ToArray();

    private static float[] Apply<TOp>(float[] x) where TOp : struct, IUnaryOp
    {
        var y = new float[x.Length];
        VectorLoops.Unary<TOp>(x, y);
        return y;
    }

    private static float[] Grad<TOp>(float[] x) where TOp : struct, IBinaryOp
    {
        var dx = new float[x.Length];
        VectorLoops.BinaryAccumulate<TOp>(x, Enumerable.Repeat(1f, x.Length).ToArray(), dx);
        return dx;
    }

    private static void Within(float[] x, float[] actual, Func<double, double> reference, double rtol, double atol, string what) =>
        Within(x, actual, reference, _ => rtol, atol, what);

    private static void Within(float[] x, float[] actual, Func<double, double> reference, Func<double, double> rtol, double atol, string what)
    {
        for (int i = 0; i < x.Length; i++)
        {
            double e = reference(x[i]);
            Assert.True(Math.Abs(actual[i] - e) <= atol + rtol(x[i]) * Math.Abs(e), $"{what}({x[i]:G9}) = {actual[i]:G9}, expected {e:G12}");
        }
    }

    [Fact]
    public void Exp_is_within_two_ulp_and_saturates()
    {
        var x = Grid(-87, 88.7f, 20001).Concat(TensorAssert.Random(1, -5, 5, 5000).Floats.ToArray()).ToArray();
        Within(x, Apply<Elementwise.ExpOp>(x), Math.Exp, 2.4e-7, 0, "exp");
        // Subnormal results keep their absolute accuracy.
        var tiny = Grid(-103.9f, -87.4f, 501);
        Within(tiny, Apply<Elementwise.ExpOp>(tiny), Math.Exp, 2.4e-7, 3e-45, "exp");
        var special = Apply<Elementwise.ExpOp>([0, 1, float.NegativeInfinity, float.PositiveInfinity, float.NaN, 89, -110]);
        Assert.Equal(1f, special[0]);
        Assert.Equal(MathF.E, special[1], 6);
        Assert.Equal(0f, special[2]);
        Assert.Equal(float.PositiveInfinity, special[3]);
        Assert.True(float.IsNaN(special[4]));
        Assert.Equal(float.PositiveInfinity, special[5]);
        Assert.Equal(0f, special[6]);
    }

    [Fact]
    public void Erf_matches_known_values()
    {
        var x = new[] { 0f, 0.5f, 1f, 2f, -0.1f, 3.5f, -6f };
        var expected = new[] { 0, 0.5204998778130465, 0.8427007929497149, 0.9953222650189527, -0.1124629160182849, 0.9999992569016276, -1 };
        var y = Apply<Elementwise.ErfOp>(x);
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(y[i] - expected[i]) <= 2e-7 * Math.Abs(expected[i]) + 1e-9, $"erf({x[i]}) = {y[i]:G9}");
    }

    [Fact]
    public void Erf_is_within_a_few_ulp_everywhere()
    {
        var x = Grid(-6, 6, 4001).Concat(Grid(-1e-3f, 1e-3f, 101)).ToArray();
        Within(x, Apply<Elementwise.ErfOp>(x), DoubleReference.Erf, 3e-7, 1e-30, "erf");
        Within(x, Grad<Elementwise.ErfGradOp>(x), v => 2 / Math.Sqrt(Math.PI) * Math.Exp(-v * v), 2e-6, 1e-30, "erf'");
    }

    [Fact]
    public void Gelu_is_accurate_relative_to_its_value_including_the_left_tail()
    {
        var x = Grid(-12, 8, 4001);
        // In the left tail Phi(x) ~ e^(-x^2/2): rounding x^2/2 in float costs about x^2 ulp, as for any float exp(-x^2/2).
        static double Rtol(double v) => 2e-6 * Math.Max(1, v * v / 4);
        Within(x, Apply<Elementwise.GeluOp>(x), v => v * DoubleReference.NormalCdf(v), Rtol, 1e-30, "gelu");
        Within(x, Grad<Elementwise.GeluGradOp>(x),
            v => DoubleReference.NormalCdf(v) + v * Math.Exp(-v * v / 2) / Math.Sqrt(2 * Math.PI), 2e-6, 1e-7, "gelu'");
    }

    [Fact]
    public void Gelu_tanh_form_matches_its_definition()
    {
        var x = Grid(-10, 10, 2001);
        static double U(double v) => Math.Sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v);
        Within(x, Apply<Elementwise.GeluTanhOp>(x), v => 0.5 * v * (1 + Math.Tanh(U(v))), 2e-6, 1e-7, "gelu_tanh");
        Within(x, Grad<Elementwise.GeluTanhGradOp>(x), v =>
        {
            double t = Math.Tanh(U(v));
            return 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * Math.Sqrt(2 / Math.PI) * (1 + 3 * 0.044715 * v * v);
        }, 2e-6, 1e-6, "gelu_tanh'");
    }

    [Fact]
    public void Softplus_and_mish_hold_on_both_tails()
    {
        var x = Grid(-90, 90, 3601);
        Within(x, Apply<Elementwise.SoftplusOp>(x), DoubleReference.Softplus, 2e-6, 1e-38, "softplus");
        Within(x, Grad<Elementwise.SoftplusGradOp>(x), DoubleReference.Sigmoid, 2e-6, 1e-38, "softplus'");
        Within(x, Apply<Elementwise.MishOp>(x), v => v * Math.Tanh(DoubleReference.Softplus(v)), 2e-6, 1e-38, "mish");
        Within(x, Grad<Elementwise.MishGradOp>(x), v =>
        {
            double t = Math.Tanh(DoubleReference.Softplus(v));
            return t + v * (1 - t * t) * DoubleReference.Sigmoid(v);
        }, 2e-6, 1e-7, "mish'");
    }

    [Fact]
    public void Elu_and_selu_are_accurate_near_zero()
    {
        var x = Grid(-8, 3, 2201).Concat(Grid(-1e-4f, 1e-4f, 41)).ToArray();
        var elu = new float[x.Length];
        VectorLoops.Unary(new Elementwise.EluFunc(1.3f), x, elu);
        Within(x, elu, v => v > 0 ? v : 1.3 * (Math.Exp(v) - 1), 1e-6, 1e-38, "elu");
        var selu = new float[x.Length];
        VectorLoops.Unary(new Elementwise.SeluFunc(1.67326319217681884765625f, 1.05070102214813232421875f), x, selu);
        Within(x, selu, v => 1.0507009873554805 * (v > 0 ? v : 1.6732632423543772 * (Math.Exp(v) - 1)), 1e-6, 1e-38, "selu");
    }

    [Fact]
    public void Sigmoid_matches_double()
    {
        var x = Grid(-40, 40, 2001);
        Within(x, Apply<Elementwise.SigmoidOp>(x), DoubleReference.Sigmoid, 1e-6, 1e-38, "sigmoid");
    }

    [Fact]
    public void Pow_follows_ieee_rules_and_matches_double()
    {
        var bases = new[] { 2f, 2f, -2f, -2f, -2f, 0f, 0f, 0f, 1f, float.NaN, 9f, 1.5f, 0.3f, -0f };
        var exps = new[] { 10f, -1.5f, 3f, 2f, 0.5f, 2f, -1f, 0f, float.NaN, 0f, 0.5f, 7.25f, -3.3f, 3f };
        for (int i = 0; i < bases.Length; i++)
        {
            var z = new float[1];
            VectorLoops.Binary<Elementwise.PowOp>(new[] { bases[i] }, new[] { exps[i] }, z);
            float expected = MathF.Pow(bases[i], exps[i]);
            if (float.IsNaN(expected)) Assert.True(float.IsNaN(z[0]), $"pow({bases[i]}, {exps[i]}) = {z[0]}, expected NaN");
            else Assert.True(Math.Abs(z[0] - expected) <= 1e-6 * Math.Abs(expected) || z[0] == expected, $"pow({bases[i]}, {exps[i]}) = {z[0]}, expected {expected}");
        }
        // Full vectors (the widened double path) over a range, against double.
        var x = TensorAssert.Random(3, 0.01f, 20, 1000).Floats.ToArray();
        var y = TensorAssert.Random(4, -6, 6, 1000).Floats.ToArray();
        var r = new float[1000];
        VectorLoops.Binary<Elementwise.PowOp>(x, y, r);
        for (int i = 0; i < r.Length; i++)
        {
            double e = Math.Pow(x[i], y[i]);
            Assert.True(Math.Abs(r[i] - e) <= 1e-7 * Math.Abs(e), $"pow({x[i]}, {y[i]}) = {r[i]}, expected {e}");
        }
    }
}
