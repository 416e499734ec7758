using Prunus.Graph;
using Prunus.Graph.Ops;
using Prunus.Graph.Passes;
using Prunus.Tensors;
using static Prunus.Tests.Passes.PassTestSupport;

namespace Prunus.Tests.Passes;

public class GeluFusionTests
{
    public enum Form { TorchErf, HuggingFaceErf, TanhPow, TanhMul, TruncatedConstant }

    private static ModelGraph Decomposed(Form form, long opset)
    {
        var b = new GraphBuilder("gelu", seed: 3, opset: opset);
        var input = b.Input("x", Dim.Sym("N"), 16);
        var x = b.Linear(input, 16);
        string C(float v) => b.Parameter(b.UniqueName("c"), Tensor.Scalar(v));
        string y;
        switch (form)
        {
            case Form.TorchErf or Form.TruncatedConstant:
                // x·(1 + erf(x/√2))·0.5, as torch.onnx exports nn.GELU.
                var e = b.Node("Erf", [b.Node("Div", [x, C(form == Form.TorchErf ? 1.4142135f : 1.41f)])]);
                y = b.Mul(b.Mul(x, b.Add(e, C(1))), C(0.5f));
                break;
            case Form.HuggingFaceErf:
                // (x·0.5)·(1 + erf(x·(1/√2))).
                var half = b.Mul(x, C(0.5f));
                y = b.Mul(half, b.Add(C(1), b.Node("Erf", [b.Mul(C(0.70710677f), x)])));
                break;
            default:
                // 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))).
                var cube = form == Form.TanhPow ? b.Node("Pow", [x, C(3)]) : b.Mul(x, b.Mul(x, x));
                var inner = b.Add(x, b.Mul(C(0.044715f), cube));
                var t = b.Node("Tanh", [b.Mul(inner, C(0.7978845608f))]);
                y = b.Mul(b.Mul(C(0.5f), x), b.Add(t, C(1)));
                break;
        }
        b.Output(b.Linear(y, 4), "y");
        return b.Build();
    }

    [Theory]
    [InlineData(Form.TorchErf, "none")]
    [InlineData(Form.HuggingFaceErf, "none")]
    [InlineData(Form.TanhPow, "tanh")]
    [InlineData(Form.TanhMul, "tanh")]
    public void Fuses_exported_forms_into_gelu_at_opset_20(Form form, string approximate)
    {
        var g = Decomposed(form, opset: 20);

        var (after, rewrites) = ApplyAndCompare(g, new GeluFusionPass(allowInternalOps: false));

        Assert.Equal(1, rewrites);
        Assert.Equal(["Gemm", "Gelu", "Gemm"], after.Nodes.Select(n => n.OpType));
        var gelu = after.Nodes[1];
        Assert.Equal("", gelu.Domain);
        Assert.Equal(approximate, gelu.Attributes.GetValueOrDefault("approximate")?.String ?? "none");
    }

    [Fact]
    public void Uses_the_internal_domain_before_opset_20_only_when_allowed()
    {
        var g = Decomposed(Form.TorchErf, opset: 17);

        Assert.Equal(0, new GeluFusionPass(allowInternalOps: false).Apply(g.Clone()));
        var (after, rewrites) = ApplyAndCompare(g, new GeluFusionPass(allowInternalOps: true));

        Assert.Equal(1, rewrites);
        Assert.Equal(PrunusDomain.Name, after.Nodes.Single(n => n.OpType == "Gelu").Domain);
    }

    [Fact]
    public void Leaves_patterns_whose_constants_are_not_exact()
    {
        var g = Decomposed(Form.TruncatedConstant, opset: 20);
        Assert.Equal(0, new GeluFusionPass(allowInternalOps: true).Apply(g));
    }
}
