using Prunus.Graph;
using Prunus.Graph.Ops;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Passes.PassTestSupport;

namespace Prunus.Tests.Passes;

[Trait("Category", "Kernel")]
public class FusedActivationKernelTests
{
    public static TheoryData<ActivationKind, int> Cases()
    {
        var d = new TheoryData<ActivationKind, int>();
        foreach (var kind in Enum.GetValues<ActivationKind>())
            foreach (var n in TensorAssert.Sizes) d.Add(kind, n);
        return d;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fast_path_matches_reference(ActivationKind kind, int n)
    {
        var activation = kind switch
        {
            ActivationKind.Clip => new FusedActivation(kind, -0.5f, 2f),
            ActivationKind.LeakyRelu => new FusedActivation(kind, 0.1f),
            ActivationKind.HardSigmoid => new FusedActivation(kind, 0.2f, 0.5f),
            _ => new FusedActivation(kind),
        };
        var x = TensorAssert.Random(n + 11, -5, 5, n).Floats.ToArray();
        var fast = x.ToArray();
        var reference = x.ToArray();
        activation.Apply(fast);
        activation.ApplyReference(reference);
        TensorAssert.Close(reference, fast, 2e-6, 2e-6);
        if (kind == ActivationKind.None) Assert.Equal(x, fast);
    }
}

public class ActivationFusionTests
{
    private static Dictionary<string, AttributeValue> Attr(string name, AttributeValue v) => new() { [name] = v };

    [Fact]
    public void Fuses_activations_into_every_convolution_algorithm()
    {
        var b = new GraphBuilder("conv_act", seed: 8);
        var x = b.Input("x", Dim.Sym("N"), 3, 16, 16);
        var y = b.Relu(b.Conv(x, 8, 3, pad: 1));                          // im2col, chunked over images
        y = b.Relu6(b.Conv(y, 8, 3, pad: 1, groups: 8));                  // depthwise
        y = b.HardSwish(b.Conv(y, 8, 1, bias: false));                    // pointwise on a 256 plane: straight into y
        y = b.Node("LeakyRelu", [b.Conv(y, 6, 3, stride: 2, pad: 1)], Attr("alpha", AttributeValue.Of(0.2f)));
        y = b.Sigmoid(b.Conv(y, 4, 3, pad: 1));
        y = b.HardSigmoid(b.Conv(y, 4, 1));
        y = b.Node("Tanh", [b.Conv(y, 4, 3, pad: 1, bias: false)]);
        y = b.Relu(b.Conv(y, 6, 3, pad: 1, groups: 2));                   // grouped: the epilogue's bias per group
        b.Output(y, "y");
        var g = b.Build();

        var (after, rewrites) = ApplyAndCompare(g, new ActivationFusionPass(), 1e-5, 1, 3);

        Assert.Equal(8, rewrites);
        Assert.All(after.Nodes, n => Assert.Equal(("FusedConv", PrunusDomain.Name), (n.OpType, n.Domain)));
        Assert.Equal(["Relu", "Clip", "HardSwish", "LeakyRelu", "Sigmoid", "HardSigmoid", "Tanh", "Relu"],
            after.Nodes.Select(n => n.Attributes[PrunusDomain.ActivationAttribute].String));
        Assert.Equal(PrunusDomain.Version, after.Metadata.Opsets[PrunusDomain.Name]);
        // Clip(0, 6) keeps its bounds.
        Assert.Equal([0f, 6f], after.Nodes[1].Attributes[PrunusDomain.ActivationParamsAttribute].Floats);
    }

    [Fact]
    public void Fuses_into_gemm_and_matmul_with_bias()
    {
        var b = new GraphBuilder("fc_act", seed: 9);
        var x = b.Input("x", Dim.Sym("N"), 5, 12);
        var h = b.Node("MatMul", [x, b.Parameter("w1", RandomTensor(1, -0.5f, 0.5f, 12, 16))]);
        h = b.Node("Gelu", [b.Add(h, b.Parameter("b1", RandomTensor(2, -0.5f, 0.5f, 16)))]);   // [N,5,16]
        h = b.Relu(b.Linear(b.Flatten(h), 10));
        h = b.HardSigmoid(b.Node("Gemm", [h, b.Parameter("w3", RandomTensor(3, -1, 1, 10, 6))]));
        h = b.Node("Tanh", [b.Node("MatMul", [h, b.Parameter("w4", RandomTensor(4, -1, 1, 6, 3))])]);
        b.Output(h, "y");
        var g = b.Build();

        var (after, rewrites) = ApplyAndCompare(g, new ActivationFusionPass(), 1e-5, 1, 4);

        Assert.Equal(5, rewrites);   // bias into the batched MatMul, then four activations
        Assert.Equal(["FusedMatMul", "Flatten", "FusedGemm", "FusedGemm", "FusedMatMul"], after.Nodes.Select(n => n.OpType));
        Assert.Equal(3, after.Nodes[0].Inputs.Count);
        Assert.Equal("Gelu", after.Nodes[0].Attributes[PrunusDomain.ActivationAttribute].String);
    }

    [Fact]
    public void Fuses_residual_additions_into_convolutions()
    {
        var b = new GraphBuilder("residual", seed: 12);
        var x = b.Input("x", Dim.Sym("N"), 4, 16, 16);
        var main = b.Conv(x, 4, 3, pad: 1);
        var shortcut = b.Conv(x, 4, 1);                                  // computed after the main branch
        var y = b.Relu(b.Add(main, shortcut));                            // im2col: direct (N = 1) and chunked (N = 3)
        y = b.Add(y, b.Conv(y, 4, 3, pad: 1, groups: 4));                 // depthwise, residual on the left
        y = b.HardSwish(b.Add(b.Conv(y, 4, 1, bias: false), y));         // pointwise straight into y
        b.Output(y, "y");
        var g = b.Build();

        var (after, rewrites) = ApplyAndCompare(g, new ActivationFusionPass(), 1e-5, 1, 3);

        Assert.Equal(5, rewrites);   // three residuals, two activations
        Assert.Equal(["Conv", "FusedConv", "FusedConv", "FusedConv"], after.Nodes.Select(n => n.OpType));
        Assert.All(after.Nodes.Skip(1), n => Assert.Equal(4, n.Inputs.Count));
        Assert.Equal(after.Nodes[0].Outputs[0], after.Nodes[1].Inputs[3]);
        Assert.Equal("", after.Nodes[3].Inputs[2]);   // no bias, a residual
    }

    [Fact]
    public void Leaves_producers_whose_output_is_read_twice()
    {
        var b = new GraphBuilder("shared", seed: 10);
        var x = b.Input("x", Dim.Sym("N"), 2, 5, 5);
        var c = b.Conv(x, 3, 3, pad: 1);
        b.Output(b.Add(b.Relu(c), c), "y");
        var g = b.Build();
        Assert.Equal(0, new ActivationFusionPass().Apply(g));
    }

    [Fact]
    public void Fused_ops_refuse_training_plans_and_bad_activations()
    {
        var b = new GraphBuilder("train", seed: 11);
        var x = b.Input("x", Dim.Sym("N"), 4);
        b.Output(b.Relu(b.Linear(x, 3)), "y");
        var g = b.Build();
        new ActivationFusionPass().Apply(g);
        var e = Assert.Throws<ModelException>(() => Planner.Compile(g, [2, 4], new PlanOptions { Training = true }));
        Assert.Contains("cannot train", e.Message);

        g.Nodes[0].Attributes[PrunusDomain.ActivationAttribute] = AttributeValue.Of("Swish");
        e = Assert.Throws<ModelException>(() => Planner.Compile(g, [2, 4]));
        Assert.Contains("Swish", e.Message);
    }
}
