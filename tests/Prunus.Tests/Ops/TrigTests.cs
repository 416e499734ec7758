using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.ElementwiseTestData;

namespace Prunus.Tests.Ops;

/// <summary>Sin and Cos: values against System.Math in double, gradients against finite differences.</summary>
[Trait("Category", "Kernel")]
public class TrigTests
{
    [Theory]
    [InlineData("Sin")]
    [InlineData("Cos")]
    public void Values_match_double_precision_math(string op)
    {
        foreach (var n in TensorAssert.Sizes)
        {
            var x = TensorAssert.Random(n + 1, -20, 20, n);
            var y = new OpCase(op).Input(x).Run1();
            Assert.Equal(x.Shape, y.Shape);
            for (int i = 0; i < n; i++)
            {
                double e = op == "Sin" ? Math.Sin(x.Floats[i]) : Math.Cos(x.Floats[i]);
                Assert.True(Math.Abs(e - y.Floats[i]) <= 1e-6, $"{op}({x.Floats[i]}) = {y.Floats[i]}, expected {e}");
            }
        }
    }

    [Fact]
    public void Hand_values()
    {
        var x = T([0, MathF.PI / 2, MathF.PI, -MathF.PI / 6], 2, 2);
        TensorAssert.Close(T([0, 1, 0, -0.5f], 2, 2), new OpCase("Sin").Input(x).Run1(), 1e-6, 1e-6);
        TensorAssert.Close(T([1, 0, -1, 0.8660254f], 2, 2), new OpCase("Cos").Input(x).Run1(), 1e-6, 1e-6);
    }

    [Theory]
    [InlineData("Sin")]
    [InlineData("Cos")]
    public void Gradient_matches_finite_differences(string op) =>
        GradCheck.Check(new OpCase(op).Input(TensorAssert.Random(3, -4, 4, 3, 5)), maxPoints: 15);

    [Fact]
    public void Integer_input_is_refused()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("Sin").Input(Tensor.From(new long[] { 1 }, 1)).Run1());
        Assert.Contains("Sin", e.Message);
    }
}
