using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Tensors;
using static Prunus.Tests.Passes.PassTestSupport;

namespace Prunus.Tests.Passes;

public class IdentityRemovalTests
{
    [Fact]
    public void Removes_identity_and_inference_dropout()
    {
        var b = new GraphBuilder("identity");
        var x = b.Input("x", Dim.Sym("N"), 6);
        var y = b.Node("Identity", [b.Relu(x)]);
        y = b.Node("Dropout", [y, b.Parameter("ratio", Tensor.Scalar(0.3f))]);
        b.Output(b.Node("Sigmoid", [y]), "out");
        var g = b.Build();

        var (after, rewrites) = ApplyAndCompare(g, new IdentityRemovalPass());

        Assert.Equal(2, rewrites);
        Assert.Equal(["Relu", "Sigmoid"], after.Nodes.Select(n => n.OpType));
        Assert.Equal(after.Nodes[0].Outputs[0], after.Nodes[1].Inputs[0]);
    }

    [Fact]
    public void Keeps_the_graph_output_name_when_the_removed_node_writes_it()
    {
        var b = new GraphBuilder("output");
        var x = b.Input("x", Dim.Sym("N"), 4);
        var r = b.Relu(x);
        var extra = b.Node("Neg", [r]);           // r has another reader, which must follow the rename
        b.Output(b.Node("Identity", [r]), "out");
        b.Output(extra, "negated");
        var g = b.Build();

        var (after, rewrites) = ApplyAndCompare(g, new IdentityRemovalPass());

        Assert.Equal(1, rewrites);
        Assert.Equal(0, Count(after, "Identity"));
        Assert.Equal("out", after.Nodes.Single(n => n.OpType == "Relu").Outputs[0]);
        Assert.Equal("out", after.Nodes.Single(n => n.OpType == "Neg").Inputs[0]);
    }

    [Fact]
    public void Keeps_identity_between_a_graph_input_and_a_graph_output()
    {
        var b = new GraphBuilder("passthrough");
        var x = b.Input("x", Dim.Sym("N"), 4);
        b.Output(b.Node("Identity", [x]), "out");
        var g = b.Build();
        Assert.Equal(0, new IdentityRemovalPass().Apply(g));
        Assert.Single(g.Nodes);
    }

    [Fact]
    public void Keeps_dropout_whose_mask_is_read()
    {
        var b = new GraphBuilder("mask");
        var x = b.Input("x", Dim.Sym("N"), 4);
        var outs = b.Nodes("Dropout", [x], 2);
        b.Output(b.Relu(outs[0]), "y");
        b.Output(outs[1], "mask");
        var g = b.Build();
        Assert.Equal(0, new IdentityRemovalPass().Apply(g));
    }
}
