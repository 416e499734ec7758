using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Tensors;
using static Prunus.Tests.Passes.PassTestSupport;

namespace Prunus.Tests.Passes;

public class DeadCodeTests
{
    [Fact]
    public void Removes_nodes_that_reach_no_output()
    {
        var b = new GraphBuilder("dead");
        var x = b.Input("x", Dim.Sym("N"), 5);
        var live = b.Relu(x);
        var dead = b.Node("Exp", [b.Node("Neg", [x])]);
        _ = b.Add(dead, live);
        b.Output(b.Node("Sigmoid", [live]), "y");
        var g = b.Build();

        var (after, rewrites) = ApplyAndCompare(g, new DeadNodeRemovalPass());

        Assert.Equal(3, rewrites);
        Assert.Equal(["Relu", "Sigmoid"], after.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void Removes_unused_initializers_but_keeps_those_declared_as_inputs()
    {
        var b = new GraphBuilder("unused");
        var x = b.Input("x", Dim.Sym("N"), 2);
        var used = b.Parameter("used", Tensor.From(new[] { 1f, 2f }, 2));
        b.Parameter("unused", Tensor.From(new[] { 3f }, 1));
        b.Parameter("overridable", Tensor.From(new[] { 4f }, 1));
        b.Output(b.Add(x, used), "y");
        var g = b.Build();
        g.Inputs.Add(new ValueInfo("overridable", DataType.Float32, [1]));

        var (after, rewrites) = ApplyAndCompare(g, new UnusedInitializerRemovalPass());

        Assert.Equal(1, rewrites);
        Assert.Equal(["overridable", "used"], after.Initializers.Keys.Order());
    }
}
