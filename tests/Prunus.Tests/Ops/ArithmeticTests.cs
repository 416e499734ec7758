using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.ElementwiseTestData;

namespace Prunus.Tests.Ops;

/// <summary>Add, Sub, Mul, Div, Pow: forward values, integer forms, gradients through broadcasting.</summary>
[Trait("Category", "Kernel")]
public class ArithmeticTests
{
    // Shapes every binary op is gradient-checked on: same shape, per-channel, trailing, scalar, both sides broadcast.
    public static TheoryData<string, int[], int[]> GradientCases()
    {
        var d = new TheoryData<string, int[], int[]>();
        foreach (var op in new[] { "Add", "Sub", "Mul", "Div", "Pow" })
        {
            d.Add(op, [2, 3, 4], [2, 3, 4]);
            d.Add(op, [2, 3, 4, 5], [3, 1, 1]);
            d.Add(op, [4, 5], [5]);
            d.Add(op, [3, 4], []);
            d.Add(op, [], [2, 3]);
            d.Add(op, [3, 1], [1, 4]);
        }
        return d;
    }

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Gradient_matches_finite_differences(string op, int[] aShape, int[] bShape)
    {
        // Denominators and bases stay away from zero; Pow's base stays positive.
        var a = op == "Pow" ? TensorAssert.Random(11, 0.5f, 2f, aShape) : TensorAssert.Random(11, -2, 2, aShape);
        var b = op is "Div" ? TensorAssert.AwayFromZero(12, 0.5f, 2f, bShape)
            : op == "Pow" ? TensorAssert.Random(12, -2f, 2f, bShape)
            : TensorAssert.Random(12, -2, 2, bShape);
        GradCheck.Check(new OpCase(op).Input(a).Input(b), maxPoints: 30);
    }

    [Fact]
    public void Add_broadcasts_a_per_channel_bias()
    {
        // x [1,2,1,3] + b [2,1,1]
        var x = T([1, 2, 3, 4, 5, 6], 1, 2, 1, 3);
        var b = T([10, 100], 2, 1, 1);
        var y = new OpCase("Add").Input(x).Input(b).Run1();
        Assert.Equal(new[] { 1, 2, 1, 3 }, y.Shape);
        Assert.Equal(new[] { 11f, 12, 13, 104, 105, 106 }, y.Floats.ToArray());
    }

    [Fact]
    public void Sub_Mul_Div_Pow_match_hand_values()
    {
        var a = T([6, -3, 2, 9], 2, 2);
        var b = T([2, 3], 2);
        Assert.Equal(new[] { 4f, -6, 0, 6 }, new OpCase("Sub").Input(a).Input(b).Run1().Floats.ToArray());
        Assert.Equal(new[] { 12f, -9, 4, 27 }, new OpCase("Mul").Input(a).Input(b).Run1().Floats.ToArray());
        Assert.Equal(new[] { 3f, -1, 1, 3 }, new OpCase("Div").Input(a).Input(b).Run1().Floats.ToArray());
        TensorAssert.Close(T([36, -27, 4, 729], 2, 2), new OpCase("Pow").Input(a).Input(b).Run1(), 1e-6);
    }

    [Fact]
    public void Pow_with_exponent_two_squares_and_its_base_gradient_is_2x()
    {
        var x = TensorAssert.Random(3, -3, 3, 5, 7);
        var c = new OpCase("Pow").Input(x).Const(Tensor.Scalar(2f));
        var y = c.Run1();
        for (int i = 0; i < x.Length; i++) Assert.Equal(x.Floats[i] * x.Floats[i], y.Floats[i]);
        var seed = TensorAssert.Random(4, -1, 1, 5, 7);
        var g = Gradients(c, seed, TestPools.One)["in0"];
        for (int i = 0; i < x.Length; i++) Assert.Equal(2 * x.Floats[i] * seed.Floats[i], g.Floats[i], 5);
    }

    [Fact]
    public void Pow_takes_an_integer_exponent_and_negative_bases()
    {
        var x = T([-2, 3, -0.5f], 3);
        var y = new OpCase("Pow").Input(x).Const(Tensor.Scalar(3L)).Run1();
        TensorAssert.Close(T([-8, 27, -0.125f], 3), y);
        GradCheck.Check(new OpCase("Pow").Input(x).Const(Tensor.From(new[] { 3, 2, 3 }, 3)));
        // Non-integer powers of negative bases are NaN, as in IEEE pow.
        Assert.True(float.IsNaN(new OpCase("Pow").Input(T([-2], 1)).Input(T([0.5f], 1)).Run1().Floats[0]));
    }

    [Fact]
    public void Integer_arithmetic_broadcasts_and_divides_toward_zero()
    {
        var a = Tensor.From(new long[] { -7, 7, 9, -9, 4, 5 }, 3, 2);
        var b = Tensor.From(new long[] { 2, -4 }, 2);
        Assert.Equal(new long[] { -5, 3, 11, -13, 6, 1 }, new OpCase("Add").Input(a).Input(b).Run1().Span<long>().ToArray());
        Assert.Equal(new long[] { -9, 11, 7, -5, 2, 9 }, new OpCase("Sub").Input(a).Input(b).Run1().Span<long>().ToArray());
        Assert.Equal(new long[] { -14, -28, 18, 36, 8, -20 }, new OpCase("Mul").Input(a).Input(b).Run1().Span<long>().ToArray());
        Assert.Equal(new long[] { -3, -1, 4, 2, 2, -1 }, new OpCase("Div").Input(a).Input(b).Run1().Span<long>().ToArray());

        var i32 = new OpCase("Mul").Input(Tensor.From(new[] { 1, 2, 3 }, 3)).Const(Tensor.Scalar(4)).Run1();
        Assert.Equal(DataType.Int32, i32.Type);
        Assert.Equal(new[] { 4, 8, 12 }, i32.Span<int>().ToArray());
    }

    [Fact]
    public void Constant_shape_arithmetic_folds_at_plan_time()
    {
        // Both inputs constant: the planner runs the kernel once while compiling and keeps no step.
        var c = new OpCase("Mul").Const(Tensor.From(new long[] { 2, 3 }, 2)).Const(Tensor.Scalar(5L));
        var plan = c.Compile();
        Assert.Equal(0, plan.StepCount);
        Assert.Equal(new long[] { 10, 15 }, plan.Output(0).Span<long>().ToArray());
    }

    [Fact]
    public void Mismatched_types_and_shapes_are_reported()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("Add").Input(T([1, 2], 2)).Input(Tensor.From(new long[] { 1, 2 }, 2)).Run1());
        Assert.Contains("Float32", e.Message);
        var s = Assert.Throws<ModelException>(() => new OpCase("Mul").Input(Tensor.Zeros(2, 3)).Input(Tensor.Zeros(2)).Run1());
        Assert.Contains("[2,3]", s.Message);
        Assert.Contains("[2]", s.Message);
    }

    [Fact]
    public void Same_input_twice_gets_both_gradients()
    {
        // Mul(x, x) = x^2: both gradient rules add into the one buffer, giving 2x.
        var x = TensorAssert.Random(9, -2, 2, 4, 3);
        var graph = new ModelGraph { Name = "square" };
        graph.Metadata.Opsets[""] = 17;
        graph.Nodes.Add(new Node("Mul", "m", ["x", "x"], ["y"]));
        graph.Inputs.Add(new ValueInfo("x", DataType.Float32, x.Shape.Select(d => (Dim)d).ToArray()));
        graph.Outputs.Add(new ValueInfo("y", DataType.Float32, null));
        var plan = Planner.Compile(graph, new Dictionary<string, int[]> { ["x"] = x.Shape },
            new PlanOptions { InputGradients = new HashSet<string> { "x" }, Pool = TestPools.One });
        plan.Input("x").CopyFrom(x);
        plan.Run();
        plan.OutputGradient(0).Floats.Fill(1);
        plan.Backward();
        var dx = plan.Gradient("x").Floats;
        for (int i = 0; i < x.Length; i++) Assert.Equal(2 * x.Floats[i], dx[i], 5);
    }
}
