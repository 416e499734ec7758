using Prunus.Graph.Planning;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.ElementwiseTestData;

namespace Prunus.Tests.Ops;

/// <summary>Sqrt, Exp, Log, Neg, Abs, Reciprocal, Floor, Ceil, Erf as ops: values and gradients.</summary>
[Trait("Category", "Kernel")]
public class UnaryMathTests
{
    [Theory]
    [InlineData("Sqrt", new[] { 4f, 2.25f, 0f }, new[] { 2f, 1.5f, 0f })]
    [InlineData("Exp", new[] { 0f, 1f, -1f }, new[] { 1f, 2.7182817f, 0.36787945f })]
    [InlineData("Log", new[] { 1f, 2.7182817f, 0.5f }, new[] { 0f, 1f, -0.6931472f })]
    [InlineData("Neg", new[] { 1.5f, -2f, 0f }, new[] { -1.5f, 2f, 0f })]
    [InlineData("Abs", new[] { -1.5f, 2f, -0f }, new[] { 1.5f, 2f, 0f })]
    [InlineData("Reciprocal", new[] { 4f, -0.5f, 3f }, new[] { 0.25f, -2f, 0.33333334f })]
    [InlineData("Floor", new[] { -1.5f, 1.5f, 2f }, new[] { -2f, 1f, 2f })]
    [InlineData("Ceil", new[] { -1.5f, 1.5f, 2f }, new[] { -1f, 2f, 2f })]
    [InlineData("Erf", new[] { 0f, 0.5f, -1f }, new[] { 0f, 0.5204999f, -0.8427008f })]
    public void Forward_matches_hand_values(string op, float[] x, float[] expected) =>
        TensorAssert.Close(T(expected, expected.Length), new OpCase(op).Input(T(x, x.Length)).Run1(), 1e-6, 1e-7);

    [Theory]
    [InlineData("Sqrt", 0.3f, 3f, false)]
    [InlineData("Exp", -2f, 2f, false)]
    [InlineData("Log", 0.3f, 3f, false)]
    [InlineData("Neg", -2f, 2f, false)]
    [InlineData("Abs", 0.1f, 2f, true)]
    [InlineData("Reciprocal", 0.5f, 2f, true)]
    [InlineData("Erf", -2.5f, 2.5f, false)]
    public void Gradient_matches_finite_differences(string op, float lo, float hi, bool bothSigns)
    {
        var x = bothSigns ? TensorAssert.AwayFromZero(2, lo, hi, 3, 17) : TensorAssert.Random(2, lo, hi, 3, 17);
        GradCheck.Check(new OpCase(op).Input(x));
    }

    [Theory]
    [InlineData("Floor")]
    [InlineData("Ceil")]
    public void Step_functions_pass_no_gradient(string op)
    {
        // The derivative is zero almost everywhere: no gradient flows back through the op at all, so the input's
        // gradient stays zero and the output is given no gradient buffer.
        var x = TensorAssert.Random(1, -3, 3, 8);
        var plan = new OpCase(op).Input(x).Compile(new PlanOptions { InputGradients = new HashSet<string> { "in0" }, Pool = TestPools.One });
        plan.Run();
        Assert.Throws<ArgumentException>(() => plan.OutputGradient(0));
        plan.Backward();
        Assert.All(plan.Gradient("in0").Floats.ToArray(), v => Assert.Equal(0f, v));
        Assert.False(Prunus.Graph.Ops.OpRegistry.Find("", op)!.IsDifferentiable(0));
    }

    [Fact]
    public void Integer_input_to_a_float_op_is_reported()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("Sqrt").Input(Prunus.Tensors.Tensor.From(new long[] { 4 }, 1)).Run1());
        Assert.Contains("Float32", e.Message);
    }
}
