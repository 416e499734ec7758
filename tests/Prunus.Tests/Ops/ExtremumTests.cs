using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.ElementwiseTestData;

namespace Prunus.Tests.Ops;

/// <summary>Variadic Max and Min: broadcasting forward, gradient to the selected input, ties to the first.</summary>
[Trait("Category", "Kernel")]
public class ExtremumTests
{
    [Fact]
    public void Max_and_Min_of_three_broadcast_inputs()
    {
        var a = T([1, 5, 3, 7], 2, 2);
        var b = T([4, 2], 2);
        var c = T([6], 1);
        Assert.Equal(new[] { 6f, 6, 6, 7 }, new OpCase("Max").Input(a).Input(b).Input(c).Run1().Floats.ToArray());
        Assert.Equal(new[] { 1f, 2, 3, 2 }, new OpCase("Min").Input(a).Input(b).Input(c).Run1().Floats.ToArray());
        Assert.Equal(new[] { 4f, 5, 4, 7 }, new OpCase("Max").Input(a).Input(b).Run1().Floats.ToArray());
    }

    [Fact]
    public void A_single_input_is_copied_and_passes_its_gradient()
    {
        var x = TensorAssert.Random(1, -1, 1, 3, 4);
        TensorAssert.Close(x, new OpCase("Max").Input(x).Run1());
        GradCheck.Check(new OpCase("Min").Input(x));
    }

    [Theory]
    [InlineData("Max")]
    [InlineData("Min")]
    public void Gradient_of_two_inputs_with_broadcasting(string op)
    {
        GradCheck.Check(new OpCase(op).Input(Separated(0, 1, 2, 3, 4)).Input(Separated(1, 2, 3, 1)));
        GradCheck.Check(new OpCase(op).Input(Separated(0, 3, 5)).Input(Separated(1, 4, 4, 5)));
        GradCheck.Check(new OpCase(op).Input(Separated(0, 5, 17)).Input(Separated(1, 6, 17)));
    }

    [Theory]
    [InlineData("Max")]
    [InlineData("Min")]
    public void Gradient_of_three_inputs_with_broadcasting(string op) =>
        GradCheck.Check(new OpCase(op).Input(Separated(0, 7, 2, 3, 4)).Input(Separated(1, 8, 3, 1)).Input(Separated(2, 9, 4)));

    [Theory]
    [InlineData("Max", 2)]
    [InlineData("Min", 2)]
    [InlineData("Max", 3)]
    [InlineData("Min", 3)]
    public void Ties_send_the_gradient_to_the_first_input(string op, int inputs)
    {
        // Inputs 0 and 2 (or 0 and 1) are equal everywhere and the extremum everywhere: only input 0 gets gradient.
        var tie = T([1, 2, 3, 4], 4);
        var other = op == "Max" ? T([0, 0, 0, 0], 4) : T([9, 9, 9, 9], 4);
        var c = inputs == 2 ? new OpCase(op).Input(tie).Input(tie.Clone()) : new OpCase(op).Input(tie).Input(other).Input(tie.Clone());
        var g = Gradients(c, Ones(4), TestPools.One);
        Assert.Equal(new[] { 1f, 1, 1, 1 }, g["in0"].Floats.ToArray());
        Assert.Equal(new[] { 0f, 0, 0, 0 }, g["in1"].Floats.ToArray());
        if (inputs == 3) Assert.Equal(new[] { 0f, 0, 0, 0 }, g["in2"].Floats.ToArray());
    }

    [Fact]
    public void Gradient_of_a_broadcast_input_sums_the_places_it_won()
    {
        // Max([[1,5],[7,2]], [3]): the scalar 3 wins at (0,0) and (1,1).
        var c = new OpCase("Max").Input(T([1, 5, 7, 2], 2, 2)).Input(T([3], 1));
        var g = Gradients(c, T([1, 10, 100, 1000], 2, 2), TestPools.One);
        Assert.Equal(new[] { 0f, 10, 100, 0 }, g["in0"].Floats.ToArray());
        Assert.Equal(new[] { 1001f }, g["in1"].Floats.ToArray());
    }

    [Fact]
    public void Integer_inputs_fold_with_scalar_loops()
    {
        var a = Tensor.From(new long[] { 3, -1, 8 }, 3);
        var b = Tensor.From(new long[] { 5 }, 1);
        Assert.Equal(new long[] { 5, 5, 8 }, new OpCase("Max").Input(a).Input(b).Run1().Span<long>().ToArray());
        Assert.Equal(new long[] { 3, -1, 5 }, new OpCase("Min").Input(a).Input(b).Run1().Span<long>().ToArray());
        var i32 = new OpCase("Max").Input(Tensor.From(new[] { 1, 9 }, 2)).Input(Tensor.From(new[] { 4, 4 }, 2)).Input(Tensor.From(new[] { 2 }, 1)).Run1();
        Assert.Equal(new[] { 4, 9 }, i32.Span<int>().ToArray());
    }

    [Fact]
    public void Mixed_types_are_rejected()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("Max").Input(T([1], 1)).Input(Tensor.From(new long[] { 1 }, 1)).Run1());
        Assert.Contains("one type", e.Message);
    }
}
