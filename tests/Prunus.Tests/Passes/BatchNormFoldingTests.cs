using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Tensors;
using static Prunus.Tests.Passes.PassTestSupport;

namespace Prunus.Tests.Passes;

public class BatchNormFoldingTests
{
    [Fact]
    public void Folds_into_convolutions_with_and_without_bias_and_groups()
    {
        var b = new GraphBuilder("conv_bn", seed: 3);
        var x = b.Input("x", Dim.Sym("N"), 4, 9, 9);
        var y = b.BatchNorm(b.Conv(x, 8, 3, pad: 1, bias: false));
        y = b.BatchNorm(b.Conv(y, 8, 3, stride: 2, pad: 1, groups: 8));   // depthwise, with bias
        y = b.Relu(b.BatchNorm(b.Conv(y, 6, 1, groups: 2)));              // grouped pointwise
        b.Output(y, "y");
        var g = RandomizeBatchNorms(b.Build());

        var (after, rewrites) = ApplyAndCompare(g, new BatchNormFoldingPass());

        Assert.Equal(3, rewrites);
        Assert.Equal(0, Count(after, "BatchNormalization"));
        Assert.Equal(3, Count(after, "Conv"));
        Assert.All(after.Nodes.Where(n => n.OpType == "Conv"), c => Assert.Equal(3, c.Inputs.Count));
    }

    [Fact]
    public void Folds_into_gemm_and_turns_a_matmul_into_a_gemm()
    {
        var b = new GraphBuilder("fc_bn", seed: 4);
        var x = b.Input("x", Dim.Sym("N"), 6);
        var y = b.BatchNorm(b.Linear(x, 5));                                                        // transB = 1, bias [5]
        y = b.BatchNorm(b.Node("Gemm", [y, b.Parameter("w2", RandomTensor(5, -1, 1, 5, 7))]));      // transB = 0, no bias
        y = b.BatchNorm(b.Node("MatMul", [y, b.Parameter("w3", RandomTensor(6, -1, 1, 7, 3))]));
        b.Output(y, "y");
        var g = RandomizeBatchNorms(b.Build());

        var (after, rewrites) = ApplyAndCompare(g, new BatchNormFoldingPass());

        Assert.Equal(3, rewrites);
        Assert.Equal(["Gemm", "Gemm", "Gemm"], after.Nodes.Select(n => n.OpType));
        Assert.Equal("y", after.Nodes[^1].Outputs[0]);
    }

    [Fact]
    public void Leaves_batch_norm_whose_input_is_read_elsewhere_or_whose_statistics_vary()
    {
        var b = new GraphBuilder("keep", seed: 5);
        var x = b.Input("x", Dim.Sym("N"), 3, 5, 5);
        var c = b.Conv(x, 4, 3, pad: 1);
        var y = b.Add(b.BatchNorm(c), c);
        b.Output(y, "y");
        var g = RandomizeBatchNorms(b.Build());
        // A second BN whose scale is a graph input: not a constant.
        g.Inputs.Add(new ValueInfo("scale", DataType.Float32, [4]));
        var bn = g.Nodes.Single(n => n.OpType == "BatchNormalization");
        var conv2 = new Node("Conv", "conv_b", ["x", c.Replace("_out", "") + ".weight"], ["c2"]).With("pads", AttributeValue.Of(new long[] { 1, 1, 1, 1 }));
        var bn2 = new Node("BatchNormalization", "bn_b", ["c2", "scale", bn.Inputs[2], bn.Inputs[3], bn.Inputs[4]], ["z"]);
        g.Nodes.AddRange([conv2, bn2]);
        g.Outputs.Add(new ValueInfo("z", DataType.Float32, null));

        Assert.Equal(0, new BatchNormFoldingPass().Apply(g));
        Assert.Equal(2, Count(g, "BatchNormalization"));
    }

    [Fact]
    public void Shared_weights_are_copied_not_changed()
    {
        var b = new GraphBuilder("shared", seed: 6);
        var x = b.Input("x", Dim.Sym("N"), 3, 5, 5);
        var c = b.Conv(x, 4, 3, pad: 1, name: "conv");
        var y = b.BatchNorm(c);
        // A second conv reads the same weight, without BN after it.
        var c2 = b.Node("Conv", [x, "conv.weight", "conv.bias"], new Dictionary<string, AttributeValue> { ["pads"] = AttributeValue.Of(new long[] { 1, 1, 1, 1 }) });
        b.Output(b.Add(y, c2), "y");
        var g = RandomizeBatchNorms(b.Build());
        var original = g.Initializers["conv.weight"].Floats.ToArray();

        var (after, rewrites) = ApplyAndCompare(g, new BatchNormFoldingPass());

        Assert.Equal(1, rewrites);
        Assert.Equal(original, after.Initializers["conv.weight"].Floats.ToArray());
        var folded = after.Nodes.First(n => n.OpType == "Conv");
        Assert.NotEqual("conv.weight", folded.Inputs[1]);
    }
}
