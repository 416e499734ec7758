using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Import;

[Trait("Category", "Kernel")]
public class SumMeanTests
{
    [Theory]
    [InlineData("Sum")]
    [InlineData("Mean")]
    public void Three_inputs_broadcast_together(string op)
    {
        // [2,1,3] + [4,1] + [3]: output [2,4,3].
        var a = TensorAssert.Random(1, -1, 1, 2, 1, 3);
        var b = TensorAssert.Random(2, -1, 1, 4, 1);
        var c = TensorAssert.Random(3, -1, 1, 3);
        var y = new OpCase(op).Input(a).Input(b).Input(c).Run1();
        Assert.Equal([2, 4, 3], y.Shape);
        var expected = new float[24];
        for (int i = 0; i < 2; i++) for (int j = 0; j < 4; j++) for (int k = 0; k < 3; k++)
        {
            double s = (double)a.Floats[i * 3 + k] + b.Floats[j] + c.Floats[k];
            expected[(i * 4 + j) * 3 + k] = (float)(op == "Mean" ? s / 3 : s);
        }
        TensorAssert.Close(expected, y.Floats, 1e-5, 1e-6);
    }

    [Fact]
    public void One_input_is_itself_and_integers_sum()
    {
        var x = TensorAssert.Random(4, -1, 1, 5);
        Assert.Equal(x.Floats.ToArray(), new OpCase("Mean").Input(x).Run1().Floats.ToArray());
        Assert.Equal(x.Floats.ToArray(), new OpCase("Sum").Input(x).Run1().Floats.ToArray());
        var s = new OpCase("Sum").Input(Longs(1, 2)).Input(Longs(10)).Input(Longs(100, 200)).Run1();
        Assert.Equal(new long[] { 111, 212 }, s.Span<long>().ToArray());
        Assert.Throws<ModelException>(() => new OpCase("Mean").Input(Longs(1, 2)).Input(Longs(10)).Run1());
    }

    [Theory]
    [InlineData("Sum")]
    [InlineData("Mean")]
    public void Gradient_of_every_input(string op) =>
        GradCheck.Check(new OpCase(op).Input(TensorAssert.Random(5, -1, 1, 2, 1, 3)).Input(TensorAssert.Random(6, -1, 1, 4, 1))
            .Input(TensorAssert.Random(7, -1, 1, 2, 4, 3)));

    [Fact]
    public void Gradient_of_two_inputs() =>
        GradCheck.Check(new OpCase("Mean").Input(TensorAssert.Random(8, -1, 1, 3, 4)).Input(TensorAssert.Random(9, -1, 1, 4)));
}
