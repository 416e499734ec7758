using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

/// <summary>A 3-D convolution fused with its residual Add and Relu gives what the three ops give.</summary>
public class ConvNdFusionTests
{
    [Fact]
    public void Fused_3d_conv_applies_its_residual_and_activation()
    {
        // x [N=2, C=2, 4, 5, 3] -> Conv 3x3x3 pad 1 (K=2) -> + x -> Relu.
        var g = new ModelGraph();
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, [2, 2, 4, 5, 3]));
        g.Outputs.Add(new ValueInfo("y", DataType.Float32, null));
        g.Initializers["w"] = TensorAssert.Random(1, -0.3f, 0.3f, 2, 2, 3, 3, 3);
        g.Initializers["b"] = TensorAssert.Random(2, -0.5f, 0.5f, 2);
        var conv = new Node("Conv", "conv", ["x", "w", "b"], ["c"]);
        conv.Attributes["pads"] = AttributeValue.Of(new long[] { 1, 1, 1, 1, 1, 1 });
        g.Nodes.Add(conv);
        g.Nodes.Add(new Node("Add", "add", ["c", "x"], ["s"]));
        g.Nodes.Add(new Node("Relu", "relu", ["s"], ["y"]));
        var x = TensorAssert.Random(3, -1, 1, 2, 2, 4, 5, 3);

        var expected = new InferenceSession(g).Run(x);
        var session = new InferenceSession(g, new PlanOptions(), PassPipeline.ForInference);
        var fused = Assert.Single(session.Graph.Nodes);
        Assert.Equal("FusedConv", fused.OpType);
        Assert.Equal(4, fused.Inputs.Count);
        var actual = session.Run(x);
        Assert.Contains(expected.Floats.ToArray(), v => v == 0);   // Relu clipped something
        TensorAssert.Close(expected, actual, 1e-6, 1e-6);
    }
}
