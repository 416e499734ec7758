using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Shape;

[Trait("Category", "Kernel")]
public class ConcatSplitTests
{
    [Fact]
    public void Concat_joins_along_a_negative_axis_including_empty_inputs()
    {
        var y = new OpCase("Concat").Input(Seq(2, 1, 3)).Input(Seq(2, 2, 3)).Input(Tensor.Zeros(2, 0, 3)).Attr("axis", -2L).Run1();
        Assert.Equal([2, 3, 3], y.Shape);
        Assert.Equal(new float[] { 0, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, y.Floats.ToArray());
    }

    [Theory]
    [MemberData(nameof(TypeData), MemberType = typeof(TestTensors))]
    public void Concat_of_every_type(DataType type)
    {
        var a = SeqOf(type, 3, 2);
        var b = SeqOf(type, 3, 5);
        var y = new OpCase("Concat").Input(a).Const(b).Attr("axis", 1L).Run1();
        Assert.Equal([3, 7], y.Shape);
        var va = Values(a);
        var vb = Values(b);
        var expected = Enumerable.Range(0, 3).SelectMany(r => va.Skip(r * 2).Take(2).Concat(vb.Skip(r * 5).Take(5))).ToArray();
        Assert.Equal(expected, Values(y));
    }

    [Fact]
    public void Concat_rejects_mismatched_shapes()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("Concat").Input(Seq(2, 3)).Input(Seq(3, 3)).Attr("axis", 1L).Run1());
        Assert.Contains("outside axis 1", e.Message);
    }

    [Fact]
    public void Concat_gradient_splits_into_each_input() =>
        GradCheck.Check(new OpCase("Concat").Input(TensorAssert.Random(1, -1, 1, 3, 2, 5)).Input(TensorAssert.Random(2, -1, 1, 3, 4, 5))
            .Input(TensorAssert.Random(3, -1, 1, 3, 1, 5)).Attr("axis", 1L));

    [Fact]
    public void Concat_of_a_value_with_itself_gets_both_gradients()
    {
        var g = new Prunus.Graph.ModelGraph();
        g.Inputs.Add(new Prunus.Graph.ValueInfo("x", DataType.Float32, [2, 3]));
        g.Nodes.Add(new Prunus.Graph.Node("Concat", "cat", ["x", "x"], ["y"]).With("axis", Prunus.Graph.AttributeValue.Of(0L)));
        g.Outputs.Add(new Prunus.Graph.ValueInfo("y", DataType.Float32, null));
        var plan = Planner.Compile(g, [2, 3], new PlanOptions { InputGradients = new HashSet<string> { "x" }, Pool = TestPools.One });
        plan.Run();
        var dy = plan.OutputGradient();
        for (int i = 0; i < dy.Length; i++) dy.Floats[i] = i;
        plan.Backward();
        Assert.Equal(new float[] { 6, 8, 10, 12, 14, 16 }, plan.Gradient("x").Floats.ToArray());
    }

    [Fact]
    public void Split_into_equal_parts_by_default()
    {
        var ys = new OpCase("Split").WithOpset(11).Input(Seq(6, 2)).Outputs(3).Run();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal([2, 2], ys[i].Shape);
            Assert.Equal(Enumerable.Range(4 * i, 4).Select(v => (float)v).ToArray(), ys[i].Floats.ToArray());
        }
        Assert.Throws<ModelException>(() => new OpCase("Split").Input(Seq(7, 2)).Outputs(3).Run());
    }

    [Fact]
    public void Split_sizes_as_attribute_before_opset_13()
    {
        var ys = new OpCase("Split").WithOpset(11).Input(Seq(2, 5)).Attr("split", Ints(1, 4)).Attr("axis", -1L).Outputs(2).Run();
        Assert.Equal(new float[] { 0, 5 }, ys[0].Floats.ToArray());
        Assert.Equal(new float[] { 1, 2, 3, 4, 6, 7, 8, 9 }, ys[1].Floats.ToArray());
    }

    [Fact]
    public void Split_sizes_as_input_from_opset_13_on_int64()
    {
        var ys = new OpCase("Split").WithOpset(13).Input(SeqLong(5, 3)).Const(Longs(3, 0, 2)).Outputs(3).Run();
        Assert.Equal([3, 3], ys[0].Shape);
        Assert.Equal([0, 3], ys[1].Shape);
        Assert.Equal([2, 3], ys[2].Shape);
        Assert.Equal(SeqLong(15).Span<long>()[9..].ToArray(), ys[2].Span<long>().ToArray());
        Assert.Throws<ModelException>(() => new OpCase("Split").Input(SeqLong(5, 3)).Const(Longs(3, 1)).Outputs(2).Run());
    }

    [Fact]
    public void Split_num_outputs_from_opset_18_makes_the_last_part_smaller()
    {
        var ys = new OpCase("Split").WithOpset(18).Input(Seq(7)).Attr("num_outputs", 3L).Outputs(3).Run();
        Assert.Equal(new float[] { 0, 1, 2 }, ys[0].Floats.ToArray());
        Assert.Equal(new float[] { 3, 4, 5 }, ys[1].Floats.ToArray());
        Assert.Equal(new float[] { 6 }, ys[2].Floats.ToArray());
    }

    [Fact]
    public void Split_gradient_of_the_first_output() =>
        GradCheck.Check(new OpCase("Split").Input(TensorAssert.Random(4, -1, 1, 3, 5)).Attr("axis", 1L).Const(Longs(2, 3)).Outputs(2));

    [Fact]
    public void Split_gradient_joins_the_output_gradients()
    {
        var plan = new OpCase("Split").Input(Seq(2, 5)).Attr("axis", 1L).Const(Longs(2, 3)).Outputs(2)
            .Compile(new PlanOptions { InputGradients = new HashSet<string> { "in0" }, Pool = TestPools.One });
        plan.Run();
        plan.OutputGradient(0).CopyFrom(Tensor.From(new float[] { 1, 2, 3, 4 }, 2, 2));
        plan.OutputGradient(1).CopyFrom(Tensor.From(new float[] { 10, 20, 30, 40, 50, 60 }, 2, 3));
        plan.Backward();
        Assert.Equal(new float[] { 1, 2, 10, 20, 30, 3, 4, 40, 50, 60 }, plan.Gradient("in0").Floats.ToArray());
    }
}
