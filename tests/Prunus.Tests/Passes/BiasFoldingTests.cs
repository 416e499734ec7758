using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Tensors;
using static Prunus.Tests.Passes.PassTestSupport;

namespace Prunus.Tests.Passes;

public class BiasFoldingTests
{
    [Fact]
    public void Folds_per_channel_arithmetic_after_a_convolution()
    {
        var b = new GraphBuilder("conv_affine", seed: 2);
        var x = b.Input("x", Dim.Sym("N"), 3, 6, 6);
        var y = b.Conv(x, 4, 3, pad: 1, bias: false);
        y = b.Add(y, b.Parameter("shift", RandomTensor(1, -1, 1, 4, 1, 1)));
        y = b.Mul(b.Parameter("scale", RandomTensor(2, 0.5f, 2, 1, 4, 1, 1)), y);
        y = b.Node("Sub", [y, b.Parameter("offset", Tensor.Scalar(0.25f))]);
        y = b.Node("Div", [y, b.Parameter("divisor", RandomTensor(3, 0.5f, 2, 4, 1, 1))]);
        b.Output(b.Relu(y), "y");
        var g = b.Build();

        var (after, rewrites) = ApplyAndCompare(g, new BiasFoldingPass());

        Assert.Equal(4, rewrites);
        Assert.Equal(["Conv", "Relu"], after.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void Folds_a_column_bias_into_gemm_and_makes_a_matmul_a_gemm()
    {
        var b = new GraphBuilder("fc_bias", seed: 3);
        var x = b.Input("x", Dim.Sym("N"), 5);
        var y = b.Add(b.Linear(x, 4), b.Parameter("extra", RandomTensor(4, -1, 1, 1, 4)));
        y = b.Add(b.Parameter("bias2", RandomTensor(5, -1, 1, 3)), b.Node("MatMul", [y, b.Parameter("w2", RandomTensor(6, -1, 1, 4, 3))]));
        b.Output(y, "y");
        var g = b.Build();

        var (after, rewrites) = ApplyAndCompare(g, new BiasFoldingPass());

        Assert.Equal(2, rewrites);
        Assert.Equal(["Gemm", "Gemm"], after.Nodes.Select(n => n.OpType));
    }

    [Fact]
    public void Leaves_constants_that_are_not_per_channel_and_reversed_operands()
    {
        var b = new GraphBuilder("keep", seed: 4);
        var x = b.Input("x", Dim.Sym("N"), 2, 4, 4);
        var y = b.Add(b.Conv(x, 3, 3, pad: 1), b.Parameter("spatial", RandomTensor(1, -1, 1, 3, 4, 4)));
        y = b.Node("Sub", [b.Parameter("minuend", RandomTensor(2, -1, 1, 3, 1, 1)), b.Conv(y, 3, 1)]);
        b.Output(y, "y");
        var g = b.Build();

        var (_, rewrites) = ApplyAndCompare(g, new BiasFoldingPass());
        Assert.Equal(0, rewrites);
    }
}
