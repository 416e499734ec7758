using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Tensors;

namespace Prunus.Tests.Passes;

public class ShapeFactsTests
{
    [Fact]
    public void Tells_static_dimensions_from_those_that_follow_the_batch()
    {
        var g = new ModelGraph();
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, [Dim.Sym("N"), 3, Dim.Sym("L")]));
        g.Initializers["flat"] = Tensor.From(new long[] { 0, -1 }, 2);
        g.Nodes.Add(new Node("Relu", "relu", ["x"], ["r"]));
        g.Nodes.Add(new Node("Reshape", "reshape", ["r", "flat"], ["f"]));            // [N, 3L]
        g.Nodes.Add(new Node("ReduceMean", "mean", ["r"], ["m"]).With("axes", AttributeValue.Of(new long[] { 2 })));  // [N,3,1]
        g.Nodes.Add(new Node("Shape", "shape", ["m"], ["s"]).With("start", AttributeValue.Of(1L)));                  // [3,1]
        g.Outputs.Add(new ValueInfo("f", DataType.Float32, null));

        var facts = ShapeFacts.Of(g);

        Assert.Equal([null, 3, null], facts.Dims("r"));
        Assert.Equal([null, null], facts.Dims("f"));
        Assert.Equal([null, 3, 1], facts.Dims("m"));
        Assert.Null(facts.StaticShape("m"));
        Assert.Equal([3L, 1], facts.Constant("s")!.ToInt64Array());
        Assert.Null(facts.Constant("r"));
        Assert.True(facts.SameShape("x", "r"));
        Assert.False(facts.SameShape("r", "m"));
        Assert.Equal(DataType.Float32, facts.Type("f"));
        Assert.Equal(2, facts.Rank("f"));
    }

    [Fact]
    public void Knows_nothing_past_what_fails_for_some_batch_size()
    {
        var g = new ModelGraph();
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, [Dim.Sym("N"), 4]));
        g.Initializers["fixed"] = Tensor.From(new long[] { 1, 4 }, 2);   // only right for N = 1
        g.Nodes.Add(new Node("Reshape", "reshape", ["x", "fixed"], ["y"]));
        g.Nodes.Add(new Node("Relu", "relu", ["y"], ["z"]));
        g.Nodes.Add(new Node("Unknown", "custom", ["x"], ["u"]) { Domain = "example.custom" });
        g.Outputs.Add(new ValueInfo("z", DataType.Float32, null));

        var facts = ShapeFacts.Of(g);

        Assert.Null(facts.Dims("z"));
        Assert.Null(facts.Type("u"));
        Assert.False(facts.SameShape("x", "y"));
    }
}
