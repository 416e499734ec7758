using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Shape;

[Trait("Category", "Kernel")]
public class ShapeConstantTests
{
    [Theory]
    [InlineData(null, null, new long[] { 2, 3, 4 })]
    [InlineData(-1L, null, new long[] { 4 })]
    [InlineData(null, -1L, new long[] { 2, 3 })]
    [InlineData(1L, 2L, new long[] { 3 })]
    [InlineData(-10L, 10L, new long[] { 2, 3, 4 })]
    [InlineData(2L, 1L, new long[0])]
    public void Shape_with_start_and_end(long? start, long? end, long[] expected)
    {
        var c = new OpCase("Shape").WithOpset(15).Input(Seq(2, 3, 4));
        if (start is { } s) c.Attr("start", s);
        if (end is { } e) c.Attr("end", e);
        var y = c.Run1();
        Assert.Equal(DataType.Int64, y.Type);
        Assert.Equal(expected, y.Span<long>().ToArray());
        Assert.Equal(0, c.Compile().StepCount);
    }

    [Fact]
    public void Constant_from_each_attribute_form()
    {
        var t = new OpCase("Constant").Attr("value", AttributeValue.Of(SeqLong(2, 3))).Run1();
        Assert.Equal([2, 3], t.Shape);
        Assert.Equal(SeqLong(6).Span<long>().ToArray(), t.Span<long>().ToArray());
        var f = new OpCase("Constant").Attr("value_float", 2.5f).Run1();
        Assert.Empty(f.Shape);
        Assert.Equal(2.5f, f.Floats[0]);
        var fs = new OpCase("Constant").Attr("value_floats", AttributeValue.Of(new[] { 1f, -2f })).Run1();
        Assert.Equal(new[] { 1f, -2f }, fs.Floats.ToArray());
        var i = new OpCase("Constant").Attr("value_int", 7L).Run1();
        Assert.Equal(DataType.Int64, i.Type);
        Assert.Equal(7L, i.Span<long>()[0]);
        var iss = new OpCase("Constant").Attr("value_ints", Ints(3, 4, 5)).Run1();
        Assert.Equal(new long[] { 3, 4, 5 }, iss.Span<long>().ToArray());
    }

    [Fact]
    public void Constant_needs_exactly_one_value()
    {
        Assert.Throws<ModelException>(() => new OpCase("Constant").Run1());
        Assert.Throws<ModelException>(() => new OpCase("Constant").Attr("value_int", 1L).Attr("value_float", 1f).Run1());
    }

    /// <summary>x → Shape → Slice [0:1] → Concat with [-1] → Reshape(x): flattens all but the batch, at any batch size.</summary>
    private static ModelGraph FlattenByShapeChain()
    {
        var g = new ModelGraph();
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, [Dim.Sym("N"), 3, 4]));
        g.Initializers["starts"] = Longs(0);
        g.Initializers["ends"] = Longs(1);
        g.Nodes.Add(new Node("Shape", "shape", ["x"], ["s"]));
        g.Nodes.Add(new Node("Slice", "slice", ["s", "starts", "ends"], ["batch"]));
        g.Nodes.Add(new Node("Constant", "minus_one", [], ["rest"]).With("value_ints", AttributeValue.Of(new long[] { -1 })));
        g.Nodes.Add(new Node("Concat", "concat", ["batch", "rest"], ["target"]).With("axis", AttributeValue.Of(0L)));
        g.Nodes.Add(new Node("Reshape", "reshape", ["x", "target"], ["y"]));
        g.Outputs.Add(new ValueInfo("y", DataType.Float32, null));
        return g;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Shape_chain_into_Reshape_folds_at_plan_time(int batch)
    {
        var plan = Planner.Compile(FlattenByShapeChain(), [batch, 3, 4], new PlanOptions { Pool = TestPools.One });
        // Shape, Slice, Constant and Concat folded; only the Reshape runs, as a view.
        var step = Assert.Single(plan.Describe());
        Assert.Equal("Reshape", step.Node.OpType);
        Assert.Equal("view", step.Algorithm);
        Assert.Equal(new long[] { batch, -1 }, plan.Value("target")!.Span<long>().ToArray());
        plan.Input(0).CopyFrom(Seq(batch, 3, 4));
        plan.Run();
        Assert.Equal([batch, 12], plan.Output(0).Shape);
        Assert.Equal(Seq(batch * 12).Floats.ToArray(), plan.Output(0).Floats.ToArray());
    }

    [Fact]
    public void Shape_chain_in_a_training_plan_passes_the_gradient()
    {
        var plan = Planner.Compile(FlattenByShapeChain(), [2, 3, 4], new PlanOptions { Training = true, InputGradients = new HashSet<string> { "x" }, Pool = TestPools.One });
        plan.Run();
        plan.OutputGradient().CopyFrom(Seq(2, 12));
        plan.Backward();
        Assert.Equal(Seq(24).Floats.ToArray(), plan.Gradient("x").Floats.ToArray());
    }
}
