using Prunus.Graph;
using Prunus.Graph.Ops;
using Prunus.Graph.Planning;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

[Trait("Category", "Kernel")]
public sealed class FakeQuantizeTests
{
    private static OpCase Case() => new OpCase("FakeQuantize").InDomain(PrunusDomain.Name);

    /// <summary>Plain reference: (clamp(round(x / s) + z, lo, hi) - z) * s in float, x / s a true division.</summary>
    private static float Reference(float x, float s, float z, float lo, float hi) =>
        (Math.Clamp(MathF.Round(x / s) + z, lo, hi) - z) * s;

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Vector_forms_match_the_scalar_reference(int n)
    {
        // Values spanning the grid and beyond it, plus exact ties (k + 0.5) * s that must round to even.
        var x = TensorAssert.Random(n, -3, 3, n).Floats.ToArray();
        for (int i = 0; i < n; i += 5) x[i] = (i % 11 - 5 + 0.5f) * 0.25f;
        var dy = TensorAssert.Random(n + 1, -1, 1, n).Floats.ToArray();
        float s = 0.25f, z = 3, lo = -8, hi = 7;

        var fast = new float[n];
        var reference = new float[n];
        VectorLoops.Unary(new FakeQuant.Forward(s, z, lo, hi), x, fast);
        VectorLoops.UnaryReference(new FakeQuant.Forward(s, z, lo, hi), x, reference);
        Assert.Equal(reference, fast);
        for (int i = 0; i < n; i++) Assert.Equal(Reference(x[i], s, z, lo, hi), reference[i]);

        var gradFast = Enumerable.Repeat(0.5f, n).ToArray();
        var gradReference = Enumerable.Repeat(0.5f, n).ToArray();
        VectorLoops.BinaryAccumulate(new FakeQuant.InputGradient(s, z, lo, hi), x, dy, gradFast);
        VectorLoops.BinaryAccumulateReference(new FakeQuant.InputGradient(s, z, lo, hi), x, dy, gradReference);
        Assert.Equal(gradReference, gradFast);

        var termFast = new float[n];
        var termReference = new float[n];
        VectorLoops.Binary(new FakeQuant.ScaleGradientTerm(s, z, lo, hi), x, dy, termFast);
        for (int i = 0; i < n; i++) termReference[i] = new FakeQuant.ScaleGradientTerm(s, z, lo, hi).Invoke(x[i], dy[i]);
        Assert.Equal(termReference, termFast);
    }

    [Fact]
    public void Forward_rounds_half_to_even_and_saturates()
    {
        // scale 0.5, zero point 2, grid [0, 7]: x / s = -4, -1.4, 0.5, 1.5, 2.6, 10 -> round 0 (even), 2 (even), ...
        var x = Tensor.From(new[] { -2f, -0.7f, 0.25f, 0.75f, 1.3f, 5f }, 6);
        var y = Case().Input(x).Const(Tensor.Scalar(0.5f)).Const(Tensor.Scalar(2f)).Attr("qmin", 0L).Attr("qmax", 7L).Run1();
        Assert.Equal(new[] { -1f, -0.5f, 0f, 1f, 1.5f, 2.5f }, y.Floats.ToArray());
    }

    [Fact]
    public void Per_channel_scales_apply_along_the_axis()
    {
        var x = TensorAssert.Random(3, -2, 2, 2, 3, 4);
        var scale = Tensor.From(new[] { 0.1f, 0.3f, 0.05f }, 3);
        var zero = Tensor.From(new[] { 0f, -5f, 10f }, 3);
        var y = Case().Input(x).Const(scale).Const(zero).Attr("axis", 1L).Attr("qmin", -16L).Attr("qmax", 15L).Run1();
        for (int i = 0; i < x.Length; i++)
        {
            int c = i / 4 % 3;
            Assert.Equal(Reference(x.Floats[i], scale.Floats[c], zero.Floats[c], -16, 15), y.Floats[i]);
        }
    }

    [Fact]
    public void Without_a_scale_each_channel_is_scaled_by_its_own_largest_magnitude()
    {
        var w = Tensor.From(new[] { 0.5f, -1.27f, 0.3f, 0f, 0f, 0f, 2.54f, 0.01f, -0.02f }, 3, 3);
        var y = Case().Input(w).Attr("per_channel", 1L).Attr("axis", 0L).Attr("qmin", -127L).Attr("qmax", 127L).Run1();
        float[] scales = [1.27f / 127, 1f, 2.54f / 127];
        for (int i = 0; i < w.Length; i++) Assert.Equal(Reference(w.Floats[i], scales[i / 3], 0, -127, 127), y.Floats[i]);
        Assert.Equal(-1.27f, y.Floats[1], 6);
        Assert.Equal(2.54f, y.Floats[6], 6);
        Assert.Equal(0f, y.Floats[3]);

        // Per tensor: one scale from the largest magnitude of all.
        var t = Case().Input(w).Attr("qmin", -127L).Attr("qmax", 127L).Run1();
        for (int i = 0; i < w.Length; i++) Assert.Equal(Reference(w.Floats[i], 2.54f / 127, 0, -127, 127), t.Floats[i]);
    }

    /// <summary>Runs forward and backward in a training plan with the given upstream gradient; returns dx and dscale.</summary>
    private static (float[] Dx, float[] Ds) Gradients(OpCase c, Tensor dy)
    {
        var plan = c.Compile(new PlanOptions { Training = true, InputGradients = new HashSet<string> { "in0", "in1" }, Pool = TestPools.Two });
        plan.Run();
        plan.OutputGradient(0).CopyFrom(dy);
        plan.Backward();
        return (plan.Gradient("in0").Floats.ToArray(), plan.Gradient("in1").Floats.ToArray());
    }

    [Fact]
    public void Straight_through_gradient_passes_inside_the_grid_and_lsq_scales_the_step_gradient()
    {
        // scale 0.5, zero point 1, grid [-4, 3]: representable x from -2.5 to 1.
        var x = Tensor.From(new[] { -3f, -2.4f, -0.3f, 0.2f, 0.8f, 1.1f, 4f }, 7);
        var dy = Tensor.From(new[] { 1f, 2f, 3f, 4f, 5f, 6f, 7f }, 7);
        var c = Case().Input(x).Input(Tensor.Scalar(0.5f)).Const(Tensor.Scalar(1f)).Attr("qmin", -4L).Attr("qmax", 3L).Attr("lsq", 1L);
        var (dx, ds) = Gradients(c, dy);
        // round(x / s) + z = -5 (below), -4, 0, 1, 3, 3 (2.2 rounds to 2, + 1), 9 (above).
        Assert.Equal(new[] { 0f, 2f, 3f, 4f, 5f, 6f, 0f }, dx);
        double expected = 0;
        float[] v = [-6f, -4.8f, -0.6f, 0.4f, 1.6f, 2.2f, 8f];
        for (int i = 0; i < 7; i++)
        {
            float q = MathF.Round(v[i]) + 1;
            double term = q < -4 ? -4 - 1 : q > 3 ? 3 - 1 : MathF.Round(v[i]) - v[i];
            expected += dy.Floats[i] * term;
        }
        expected /= Math.Sqrt(7 * 3.0); // LSQ's g = 1 / sqrt(N Qp), N = 7 values per scale, Qp = 3
        Assert.Equal(expected, ds[0], 5);
    }

    [Fact]
    public void Per_channel_lsq_gradients_sum_over_each_channel()
    {
        var x = TensorAssert.Random(5, -1.5f, 1.5f, 2, 3, 4);
        var dy = TensorAssert.Random(6, -1, 1, 2, 3, 4);
        var scale = Tensor.From(new[] { 0.1f, 0.2f, 0.05f }, 3);
        var c = Case().Input(x).Input(scale).Attr("axis", 1L).Attr("qmin", -8L).Attr("qmax", 7L).Attr("lsq", 1L).Attr("grad_scale", 0.5f);
        var (dx, ds) = Gradients(c, dy);
        var expected = new double[3];
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / 4 % 3;
            float s = scale.Floats[ch], v = x.Floats[i] / s, q = MathF.Round(v);
            bool inside = q >= -8 && q <= 7;
            Assert.Equal(inside ? dy.Floats[i] : 0f, dx[i]);
            expected[ch] += dy.Floats[i] * (inside ? q - v : q < -8 ? -8 : 7);
        }
        for (int ch = 0; ch < 3; ch++) Assert.Equal(0.5 * expected[ch], ds[ch], 5);
    }

    [Fact]
    public void A_negative_scale_acts_as_its_magnitude_and_its_gradient_follows_the_sign()
    {
        var x = TensorAssert.Random(8, -2, 2, 10);
        var dy = TensorAssert.Random(9, -1, 1, 10);
        OpCase Case(float s) => FakeQuantizeTests.Case().Input(x).Input(Tensor.Scalar(s)).Const(Tensor.Scalar(3f))
            .Attr("qmin", 0L).Attr("qmax", 15L).Attr("lsq", 1L);
        Assert.Equal(Case(0.25f).Run1().Floats.ToArray(), Case(-0.25f).Run1().Floats.ToArray());
        var (dxPlus, dsPlus) = Gradients(Case(0.25f), dy);
        var (dxMinus, dsMinus) = Gradients(Case(-0.25f), dy);
        Assert.Equal(dxPlus, dxMinus);
        Assert.NotEqual(0f, dsPlus[0]);
        Assert.Equal(-dsPlus[0], dsMinus[0]);
    }

    [Fact]
    public void Gradients_match_finite_differences_where_the_function_is_differentiable()
    {
        // Every x saturates (|x / s| >= 20 against the grid [-8, 7]): y = (qmin or qmax - z) s, smooth in s and flat in x.
        var x = TensorAssert.AwayFromZero(4, 2f, 3f, 3, 5);
        var c = Case().Input(x).Input(Tensor.From(new[] { 0.1f }, 1)).Const(Tensor.From(new[] { 2f }, 1))
            .Attr("qmin", -8L).Attr("qmax", 7L).Attr("lsq", 1L).Attr("grad_scale", 1f);
        GradCheck.Check(c, training: true, eps: 1e-3f);
    }

    [Fact]
    public void Only_a_learned_scale_is_a_parameter()
    {
        ModelGraph Graph(long lsq)
        {
            var g = new ModelGraph();
            g.Metadata.Opsets[PrunusDomain.Name] = PrunusDomain.Version;
            g.Inputs.Add(new ValueInfo("x", DataType.Float32, [2, 3]));
            g.Initializers["w"] = Tensor.Zeros(3, 3);
            g.Initializers["s"] = Tensor.Scalar(0.1f);
            g.Initializers["z"] = Tensor.Scalar(0f);
            g.Nodes.Add(new Node("FakeQuantize", "fq", ["w", "s", "z"], ["wq"]) { Domain = PrunusDomain.Name }.With("lsq", AttributeValue.Of(lsq)));
            g.Nodes.Add(new Node("MatMul", "mm", ["x", "wq"], ["y"]));
            g.Outputs.Add(new ValueInfo("y", DataType.Float32, null));
            return g;
        }
        Assert.Equal(["w"], Trainability.TrainableInitializers(Graph(0)));
        Assert.Equal(["w", "s"], Trainability.TrainableInitializers(Graph(1)));
    }

    [Fact]
    public void Bad_attributes_and_shapes_are_named()
    {
        var x = Tensor.Zeros(2, 3);
        var e = Assert.Throws<ModelException>(() => Case().Input(x).Attr("lsq", 1L).Run1());
        Assert.Contains("scale input is required", e.Message);
        e = Assert.Throws<ModelException>(() => Case().Input(x).Const(Tensor.Zeros(4)).Attr("axis", 1L).Run1());
        Assert.Contains("3 channels along axis 1", e.Message);
        e = Assert.Throws<ModelException>(() => Case().Input(x).Const(Tensor.Scalar(1f)).Attr("qmin", 5L).Attr("qmax", 5L).Run1());
        Assert.Contains("non-empty", e.Message);
        e = Assert.Throws<ModelException>(() => Case().Input(x).Attr("qmin", 0L).Attr("qmax", 255L).Run1());
        Assert.Contains("symmetric", e.Message);
    }
}
