using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.ElementwiseTestData;

namespace Prunus.Tests.Ops;

/// <summary>The activations: ONNX attribute defaults, hand values, and gradients away from their kinks.</summary>
[Trait("Category", "Kernel")]
public class ActivationTests
{
    private static float[] Run(OpCase c) => c.Run1().Floats.ToArray();

    private static void Close(float[] expected, float[] actual, double rtol = 1e-6, double atol = 1e-7) =>
        TensorAssert.Close(expected, actual, rtol, atol);

    [Fact]
    public void LeakyRelu_defaults_to_alpha_001()
    {
        Close([-0.02f, 3, 0], Run(new OpCase("LeakyRelu").Input(T([-2, 3, 0], 3))));
        Close([-0.5f, 3], Run(new OpCase("LeakyRelu").Input(T([-2, 3], 2)).Attr("alpha", 0.25f)));
    }

    [Fact]
    public void Sigmoid_and_Tanh_values()
    {
        Close([0.5f, 0.7310586f, 0.11920292f], Run(new OpCase("Sigmoid").Input(T([0, 1, -2], 3))));
        Close([0f, 0.46211717f, -0.9950548f], Run(new OpCase("Tanh").Input(T([0, 0.5f, -3], 3))));
    }

    [Fact]
    public void Gelu_exact_and_tanh_forms()
    {
        Close([0f, 0.8413447f, -0.15865526f, 2.9959502f], Run(new OpCase("Gelu").Input(T([0, 1, -1, 3], 4))));
        Close([0f, 0.841192f, -0.158808f], Run(new OpCase("Gelu").Input(T([0, 1, -1], 3)).Attr("approximate", "tanh")), 2e-6);
        var e = Assert.Throws<ModelException>(() => new OpCase("Gelu").Input(T([0], 1)).Attr("approximate", "erf").Run1());
        Assert.Contains("approximate", e.Message);
    }

    [Fact]
    public void HardSigmoid_and_HardSwish_values()
    {
        Close([0.7f, 0, 1, 0.5f], Run(new OpCase("HardSigmoid").Input(T([1, -3, 3, 0], 4))));
        Close([0.75f], Run(new OpCase("HardSigmoid").Input(T([1], 1)).Attr("alpha", 0.5f).Attr("beta", 0.25f)));
        Close([0.6666667f, 0, 4, -0.33333334f], Run(new OpCase("HardSwish").Input(T([1, -4, 4, -1], 4))));
    }

    [Fact]
    public void Clip_as_Relu6_with_bound_inputs()
    {
        var x = T([-1, 3, 7, 6], 4);
        Close([0, 3, 6, 6], Run(new OpCase("Clip").Input(x).Const(Tensor.Scalar(0f)).Const(Tensor.Scalar(6f)).WithOpset(13)));
        // Only max given: min is absent.
        Close([-1, 2, 2, 2], Run(new OpCase("Clip").Input(x).Absent().Const(Tensor.Scalar(2f)).WithOpset(13)));
        // No bounds at all: identity.
        Close([-1, 3, 7, 6], Run(new OpCase("Clip").Input(x).WithOpset(13)));
        // A min above the max makes every value the max, as ONNX says.
        Close([1, 1, 1, 1], Run(new OpCase("Clip").Input(x).Const(Tensor.Scalar(5f)).Const(Tensor.Scalar(1f)).WithOpset(13)));
    }

    [Fact]
    public void Clip_before_opset_11_reads_attributes()
    {
        var x = T([-1, 3, 7], 3);
        Close([0, 3, 6], Run(new OpCase("Clip").Input(x).Attr("min", 0f).Attr("max", 6f).WithOpset(6)));
        Close([-1, 3, 5], Run(new OpCase("Clip").Input(x).Attr("max", 5f).WithOpset(6)));
    }

    [Fact]
    public void Clip_bound_from_a_computed_value_is_read_at_run_time()
    {
        // The max is a graph input: it changes between runs of the same plan.
        var plan = new OpCase("Clip").Input(T([-1, 3, 7], 3)).Const(Tensor.Scalar(0f)).Input(Tensor.Scalar(6f)).WithOpset(13).Compile();
        plan.Run();
        Close([0, 3, 6], plan.Output(0).Floats.ToArray());
        plan.Input("in2").Floats[0] = 2;
        plan.Run();
        Close([0, 2, 2], plan.Output(0).Floats.ToArray());
        var e = Assert.Throws<ModelException>(() => new OpCase("Clip").Input(T([1], 1)).Const(T([0, 1], 2)).WithOpset(13).Run1());
        Assert.Contains("scalar", e.Message);
    }

    [Fact]
    public void Elu_Selu_Softplus_Mish_values()
    {
        Close([-0.63212055f, 2], Run(new OpCase("Elu").Input(T([-1, 2], 2))));
        Close([-1.2642411f], Run(new OpCase("Elu").Input(T([-1], 1)).Attr("alpha", 2f)));
        Close([-1.1113307f, 2.101402f], Run(new OpCase("Selu").Input(T([-1, 2], 2))));
        Close([0.6931472f, 100, 3.720076e-44f], Run(new OpCase("Softplus").Input(T([0, 100, -100], 3))), 1e-6, 1e-45);
        Close([0.86509836f, 0, -0.30340144f, 20], Run(new OpCase("Mish").Input(T([1, 0, -1, 20], 4))));
    }

    [Fact]
    public void PRelu_applies_a_slope_per_channel()
    {
        // x [1,2,1,2], slope [2,1,1]
        var y = Run(new OpCase("PRelu").Input(T([-1, 2, -3, 4], 1, 2, 1, 2)).Input(T([0.1f, 0.5f], 2, 1, 1)));
        Close([-0.1f, 2, -1.5f, 4], y);
        var e = Assert.Throws<ModelException>(() => new OpCase("PRelu").Input(T([1, 2], 2)).Input(T([1, 2, 3, 4], 2, 2)).Run1());
        Assert.Contains("slope", e.Message);
    }

    public static TheoryData<string> SmoothOrAwayFromKinks() =>
        ["Sigmoid", "Tanh", "Softplus", "Mish", "Elu", "Selu", "LeakyRelu", "Gelu"];

    [Theory]
    [MemberData(nameof(SmoothOrAwayFromKinks))]
    public void Gradient_matches_finite_differences(string op) =>
        GradCheck.Check(new OpCase(op).Input(TensorAssert.AwayFromZero(3, 0.1f, 3f, 2, 3, 7)));

    [Fact]
    public void Gelu_tanh_gradient() =>
        GradCheck.Check(new OpCase("Gelu").Input(TensorAssert.Random(4, -4, 4, 3, 11)).Attr("approximate", "tanh"));

    [Fact]
    public void Elu_and_LeakyRelu_gradients_with_attributes()
    {
        GradCheck.Check(new OpCase("Elu").Input(TensorAssert.AwayFromZero(5, 0.1f, 3f, 25)).Attr("alpha", 0.7f));
        GradCheck.Check(new OpCase("LeakyRelu").Input(TensorAssert.AwayFromZero(6, 0.1f, 3f, 25)).Attr("alpha", 0.3f));
    }

    [Fact]
    public void HardSigmoid_and_HardSwish_gradients_away_from_kinks()
    {
        // Kinks at alpha x + beta in {0, 1} (x = -2.5, 2.5) and at x = -3, 3: sample between and beyond them.
        var x = T([-4, -2.4f, -1, -0.2f, 0.3f, 1.7f, 2.4f, 4, -3.5f, 3.5f, 2.8f, -2.8f], 12);
        GradCheck.Check(new OpCase("HardSigmoid").Input(x));
        GradCheck.Check(new OpCase("HardSwish").Input(x));
    }

    [Fact]
    public void Clip_gradient_passes_inside_the_bounds_only()
    {
        var x = T([-2, -0.5f, 0.5f, 1.5f, 3, 5.5f, 6.5f, 9], 8);
        GradCheck.Check(new OpCase("Clip").Input(x).Const(Tensor.Scalar(0f)).Const(Tensor.Scalar(6f)).WithOpset(13));
        var g = Gradients(new OpCase("Clip").Input(x).Const(Tensor.Scalar(0f)).Const(Tensor.Scalar(6f)).WithOpset(13), Ones(8), TestPools.One);
        Assert.Equal(new[] { 0f, 0, 1, 1, 1, 1, 0, 0 }, g["in0"].Floats.ToArray());
    }

    public static TheoryData<int[], int[]> PReluShapes() => new()
    {
        { [2, 3, 4, 5], [3, 1, 1] },
        { [2, 3, 4, 5], [1] },
        { [4, 5], [5] },
        { [3, 7], [3, 7] },
    };

    [Theory]
    [MemberData(nameof(PReluShapes))]
    public void PRelu_gradient_for_input_and_slope(int[] xShape, int[] slopeShape) =>
        GradCheck.Check(new OpCase("PRelu").Input(TensorAssert.AwayFromZero(7, 0.1f, 2f, xShape)).Input(TensorAssert.Random(8, 0.05f, 0.5f, slopeShape)),
            maxPoints: 40);
}
