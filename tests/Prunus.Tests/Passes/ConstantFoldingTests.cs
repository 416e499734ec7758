using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Tensors;
using static Prunus.Tests.Passes.PassTestSupport;

namespace Prunus.Tests.Passes;

public class ConstantFoldingTests
{
    private static Dictionary<string, AttributeValue> Attr(string name, AttributeValue v) => new() { [name] = v };

    [Fact]
    public void Folds_weight_subgraphs_and_constant_nodes_into_initializers()
    {
        var b = new GraphBuilder("fold");
        var x = b.Input("x", Dim.Sym("N"), 4);
        var wt = b.Parameter("wt", RandomTensor(1, -1, 1, 3, 4));
        var w = b.Node("Transpose", [wt]);                                   // [4,3], constant
        var one = b.Node("Constant", [], Attr("value", AttributeValue.Of(Tensor.From(new[] { 1f, 2f, 3f }, 3))));
        var c = b.Node("Mul", [one, b.Parameter("two", Tensor.Scalar(2f))]);  // constant [3]
        b.Output(b.Add(b.Node("MatMul", [x, w]), c), "y");
        var g = b.Build();

        var (after, rewrites) = ApplyAndCompare(g, new ConstantFoldingPass());

        Assert.Equal(3, rewrites);
        Assert.Equal(["MatMul", "Add"], after.Nodes.Select(n => n.OpType));
        Assert.Equal([4, 3], after.Initializers[after.Nodes[0].Inputs[1]].Shape);
        Assert.Equal([2f, 4f, 6f], after.Initializers[after.Nodes[1].Inputs[1]].Floats.ToArray());
        // Intermediates of a folded chain do not become initializers (only what unfolded nodes read).
        Assert.DoesNotContain(one, after.Initializers.Keys);
        Assert.Equal(0, new ConstantFoldingPass().Apply(after));
    }

    [Fact]
    public void Folds_shape_of_static_dimensions_but_not_of_the_batch()
    {
        // By hand: the builder cannot infer a Reshape whose shape is computed.
        var g = new ModelGraph();
        g.Metadata.Opsets[""] = 15;
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, [Dim.Sym("N"), 3, 4]));
        g.Initializers["minus1"] = Tensor.From(new long[] { -1 }, 1);
        g.Nodes.Add(new Node("Shape", "tail", ["x"], ["tail_dims"]).With("start", AttributeValue.Of(1L)));   // [3,4]: static
        g.Nodes.Add(new Node("Shape", "full", ["x"], ["dims"]));                                            // [N,3,4]: varies
        g.Nodes.Add(new Node("Concat", "target", ["minus1", "tail_dims"], ["target_shape"]).With("axis", AttributeValue.Of(0L)));
        g.Nodes.Add(new Node("Relu", "relu", ["x"], ["r"]));
        g.Nodes.Add(new Node("Reshape", "reshape", ["r", "target_shape"], ["y"]));
        g.Outputs.Add(new ValueInfo("y", DataType.Float32, null));
        g.Outputs.Add(new ValueInfo("dims", DataType.Int64, null));

        var (after, _) = ApplyAndCompare(g, new ConstantFoldingPass());

        var reshape = after.Nodes.Single(n => n.OpType == "Reshape");
        Assert.Equal([-1L, 3, 4], after.Initializers[reshape.Inputs[1]].ToInt64Array());
        Assert.Equal(1, Count(after, "Shape"));   // the full shape stays: N varies
        Assert.Equal(0, Count(after, "Concat"));
    }

    [Fact]
    public void Leaves_random_ops_and_graph_outputs_alone()
    {
        var b = new GraphBuilder("random");
        var x = b.Input("x", Dim.Sym("N"), 3);
        var k = b.Parameter("k", RandomTensor(2, -1, 1, 3));
        var dropped = b.Node("Dropout", [k]);
        b.Output(b.Add(x, dropped), "y");
        b.Output(b.Node("Neg", [k]), "constant_output");
        var g = b.Build();

        var (after, rewrites) = ApplyAndCompare(g, new ConstantFoldingPass());

        Assert.Equal(0, rewrites);
        Assert.Equal(g.Nodes.Select(n => n.OpType), after.Nodes.Select(n => n.OpType));
    }
}
