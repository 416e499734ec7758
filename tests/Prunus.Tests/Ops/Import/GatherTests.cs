using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Import;

[Trait("Category", "Kernel")]
public class GatherTests
{
    [Fact]
    public void Onnx_example_on_axis_0()
    {
        var data = Tensor.From(new[] { 1f, 1.2f, 2.3f, 3.4f, 4.5f, 5.7f }, 3, 2);
        var y = new OpCase("Gather").Input(data).Const(Tensor.From(new long[] { 0, 1, 1, 2 }, 2, 2)).Run1();
        Assert.Equal([2, 2, 2], y.Shape);
        Assert.Equal(new[] { 1f, 1.2f, 2.3f, 3.4f, 2.3f, 3.4f, 4.5f, 5.7f }, y.Floats.ToArray());
    }

    [Theory]
    [MemberData(nameof(TypeData), MemberType = typeof(Shape.TestTensors))]
    public void Any_axis_and_negative_indices_for_every_type(DataType type)
    {
        // data [3,4,5] gathered on axis 1 (given as -2) by [[-1, 0], [2, -4]] (int32): y [3,2,2,5].
        var data = SeqOf(type, 3, 4, 5);
        var indices = Tensor.From(new[] { -1, 0, 2, -4 }, 2, 2);
        var y = new OpCase("Gather").Input(data).Input(indices).Attr("axis", -2L).Run1();
        Assert.Equal([3, 2, 2, 5], y.Shape);
        Assert.Equal(type, y.Type);
        var x = Values(data);
        int[] picked = [3, 0, 2, 0];
        var expected = new List<double>();
        for (int a = 0; a < 3; a++)
            foreach (int j in picked)
                for (int c = 0; c < 5; c++) expected.Add(x[a * 20 + j * 5 + c]);
        Assert.Equal(expected, Values(y));
    }

    [Fact]
    public void Scalar_index_drops_the_axis()
    {
        var y = new OpCase("Gather").Input(Seq(3, 4)).Const(Tensor.Scalar(2L)).Attr("axis", 1L).Run1();
        Assert.Equal([3], y.Shape);
        Assert.Equal(new float[] { 2, 6, 10 }, y.Floats.ToArray());
    }

    [Fact]
    public void Out_of_range_indices_are_reported()
    {
        var atPlan = Assert.Throws<ModelException>(() => new OpCase("Gather").Input(Seq(3, 4)).Const(Longs(0, 3)).Run1());
        Assert.Contains("index 3", atPlan.Message);
        var atRun = Assert.Throws<DataException>(() => new OpCase("Gather").Input(Seq(3, 4)).Input(Longs(-4)).Run1());
        Assert.Contains("index -4", atRun.Message);
    }

    [Fact]
    public void Gradient_adds_up_over_repeated_indices()
    {
        // Index 2 is taken twice and index 1 never: dx[:, 2] gets two contributions and dx[:, 1] none.
        GradCheck.Check(new OpCase("Gather").Input(TensorAssert.Random(1, -1, 1, 2, 3, 4)).Const(Longs(2, 0, -1)).Attr("axis", 1L));
        var plan = new OpCase("Gather").Input(Seq(2, 3)).Const(Longs(2, 2)).Attr("axis", 1L)
            .Compile(new Prunus.Graph.Planning.PlanOptions { InputGradients = new HashSet<string> { "in0" } });
        plan.Run();
        plan.OutputGradient().Floats.Fill(1f);
        plan.Backward();
        Assert.Equal(new float[] { 0, 0, 2, 0, 0, 2 }, plan.Gradient("in0").Floats.ToArray());
    }
}
