using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Tensors;
using static Prunus.Tests.Passes.PassTestSupport;

namespace Prunus.Tests.Passes;

public class NoOpRemovalTests
{
    private static Dictionary<string, AttributeValue> Attr(string name, AttributeValue v) => new() { [name] = v };

    [Fact]
    public void Removes_reshape_transpose_and_neutral_arithmetic_that_change_nothing()
    {
        var b = new GraphBuilder("noop");
        var x = b.Input("x", Dim.Sym("N"), 3, 4);
        var y = b.Relu(x);
        y = b.Node("Reshape", [y, b.Parameter("same", Tensor.From(new long[] { 0, 3, -1 }, 3))]);
        y = b.Node("Transpose", [y], Attr("perm", AttributeValue.Of(new long[] { 0, 1, 2 })));
        y = b.Add(y, b.Parameter("zero", Tensor.Zeros(4)));
        y = b.Mul(b.Parameter("one", Tensor.From(new[] { 1f }, 1)), y);
        y = b.Node("Div", [y, b.Parameter("one_b", Tensor.Scalar(1f))]);
        y = b.Node("Concat", [y], Attr("axis", AttributeValue.Of(1L)));
        y = b.Node("Squeeze", [b.Node("Unsqueeze", [y, b.Parameter("ax", Tensor.From(new long[] { 1 }, 1))]), b.Parameter("ax2", Tensor.From(new long[] { 1 }, 1))]);
        b.Output(b.Node("Sigmoid", [y]), "out");
        var g = b.Build();

        var (after, rewrites) = ApplyAndCompare(g, new NoOpRemovalPass());

        Assert.Equal(6, rewrites);
        Assert.Equal(["Relu", "Unsqueeze", "Squeeze", "Sigmoid"], after.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void Keeps_what_changes_shape_values_or_depends_on_the_batch()
    {
        var b = new GraphBuilder("keep");
        var x = b.Input("x", Dim.Sym("N"), 3, 4);
        var y = b.Node("Reshape", [x, b.Parameter("flat", Tensor.From(new long[] { 0, -1 }, 2))]);     // [N,12]
        y = b.Node("Reshape", [y, b.Parameter("back", Tensor.From(new long[] { -1, 3, 4 }, 3))]);     // [N,3,4] again, but a new shape
        y = b.Node("Transpose", [y], Attr("perm", AttributeValue.Of(new long[] { 0, 2, 1 })));
        y = b.Add(y, b.Parameter("zeros_wide", Tensor.Zeros(2, 1, 1, 1)));                           // broadcasts to [2,N,4,3]
        y = b.Mul(y, b.Parameter("twos", Tensor.From(new[] { 2f }, 1)));
        b.Output(y, "out");
        var g = b.Build();

        var (after, rewrites) = ApplyAndCompare(g, new NoOpRemovalPass());

        Assert.Equal(0, rewrites);
        Assert.Equal(g.Nodes.Count, after.Nodes.Count);
    }

    [Fact]
    public void Removes_zero_pads_and_casts_to_the_same_type()
    {
        // Pad and Cast need not be runnable for the rewrite: check the graph structure only.
        var g = new ModelGraph();
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, [Dim.Sym("N"), 4]));
        g.Initializers["pads"] = Tensor.From(new long[] { 0, 0, 0, 0 }, 4);
        g.Nodes.Add(new Node("Relu", "relu", ["x"], ["r"]));
        g.Nodes.Add(new Node("Pad", "pad", ["r", "pads"], ["p"]));
        g.Nodes.Add(new Node("Cast", "cast", ["p"], ["c"]).With("to", AttributeValue.Of((long)DataType.Float32)));
        g.Nodes.Add(new Node("Cast", "widen", ["c"], ["y"]).With("to", AttributeValue.Of((long)DataType.Float64)));
        g.Outputs.Add(new ValueInfo("y", DataType.Float64, null));

        Assert.Equal(2, new NoOpRemovalPass().Apply(g));
        Assert.Equal(["relu", "widen"], g.Nodes.Select(n => n.Name));
        Assert.Equal("r", g.Nodes[1].Inputs[0]);
    }
}
