using Prunus.Graph;
using Prunus.Graph.Ops;
using Prunus.Graph.Planning;
using Prunus.Graph.Passes;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Kernels;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

/// <summary>
/// Plans choose sparse kernels from the zeros of constant weights (no annotation): Gemm, MatMul, Conv and the fused
/// forms run sparse when their weight is mostly zero, name the kernel in the profile, and give the dense plan's output.
/// </summary>
[Trait("Category", "Kernel")]
public class SparseOpTests
{
    private static Tensor SparseTensor(int seed, double density, params int[] shape)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        return Tensor.From(SparseKernelTests.SparseMatrix(seed, 1, n, density), shape);
    }

    /// <summary>Runs the graph with constant weights (sparse kernels allowed) and without (always dense); returns the first step's kernel.</summary>
    private static string RunBoth(ModelGraph g, Dictionary<string, Tensor> inputs, double tolerance = 1e-5)
    {
        var shapes = inputs.ToDictionary(kv => kv.Key, kv => kv.Value.Shape);
        var sparse = Planner.Compile(g, shapes, new PlanOptions { Pool = TestPools.Two });
        var dense = Planner.Compile(g, shapes, new PlanOptions { ConstantWeights = false, Pool = TestPools.Two });
        foreach (var (name, value) in inputs) { sparse.Input(name).CopyFrom(value); dense.Input(name).CopyFrom(value); }
        sparse.Run();
        dense.Run();
        Assert.StartsWith("gemm", dense.Describe().First(d => d.Algorithm != "view").Algorithm.Replace("im2col", "gemm", StringComparison.Ordinal));
        var e = dense.Output(0).Floats;
        var a = sparse.Output(0).Floats;
        double scale = 0;
        foreach (var v in e) scale = Math.Max(scale, Math.Abs(v));
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * (Math.Abs(e[i]) + scale) + 1e-6, $"[{i}]: dense {e[i]:G9}, sparse {a[i]:G9}");
        return sparse.Describe().First(d => d.Algorithm != "view").Algorithm;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(64)]
    public void Gemm_with_mostly_zero_weight_runs_sparse(int batch)
    {
        var c = new OpCase("Gemm").Input(TensorAssert.Random(1, -1, 1, batch, 120))
            .Const(SparseTensor(2, 0.05, 40, 120)).Const(TensorAssert.Random(3, -1, 1, 40)).Attr("transB", 1L).Attr("alpha", 0.5f);
        string kernel = RunBoth(c.Graph(), new() { ["in0"] = c.Inputs[0].Value });
        // Batch 1 takes the four-row blocks even on unstructured zeros when rows are short (one x load per four rows).
        Assert.Matches(batch == 1 ? @"^(sparse-csr|block-4x1)\(density 0\.0\d.*, gemv\)$" : @"^sparse-csr\(density 0\.0\d\)$", kernel);
    }

    [Fact]
    public void Gemm_with_dense_weight_stays_dense()
    {
        var c = new OpCase("Gemm").Input(TensorAssert.Random(1, -1, 1, 8, 30)).Const(TensorAssert.Random(2, -1, 1, 30, 20));
        var plan = c.Compile();
        Assert.StartsWith("gemm", plan.Describe().Single().Algorithm);
    }

    [Fact]
    public void Gemm_with_transposed_input_and_no_bias_runs_sparse()
    {
        var c = new OpCase("Gemm").Input(TensorAssert.Random(1, -1, 1, 50, 9)).Const(SparseTensor(2, 0.05, 50, 33)).Attr("transA", 1L);
        Assert.StartsWith("sparse-csr", RunBoth(c.Graph(), new() { ["in0"] = c.Inputs[0].Value }));
    }

    [Fact]
    public void MatMul_with_mostly_zero_weight_runs_sparse()
    {
        var c = new OpCase("MatMul").Input(TensorAssert.Random(1, -1, 1, 2, 5, 64)).Const(SparseTensor(2, 0.1, 64, 24));
        Assert.StartsWith("sparse-csr", RunBoth(c.Graph(), new() { ["in0"] = c.Inputs[0].Value }));
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 1)]
    [InlineData(2, 2)]
    public void Conv_with_mostly_zero_weight_runs_sparse(int batch, int stride)
    {
        var c = new OpCase("Conv").Input(TensorAssert.Random(1, -1, 1, batch, 6, 13, 12))
            .Const(SparseTensor(2, 0.2, 8, 3, 3, 3)).Const(TensorAssert.Random(3, -1, 1, 8))
            .Attr("group", 2L).Attr("strides", stride, stride).Attr("pads", 1L, 1L, 1L, 1L);
        string kernel = RunBoth(c.Graph(), new() { ["in0"] = c.Inputs[0].Value });
        Assert.StartsWith("sparse-csr", kernel);
        // Strided: by rows from the stride phases where an output row (6 wide) holds a whole vector, else im2col.
        Assert.Matches(stride == 1 ? "shift|rows" : 6 >= System.Numerics.Vector<float>.Count ? "rows" : "im2col", kernel);
    }

    /// <summary>
    /// Dense weights of stride-1 convolutions with kernels above 1x1 run on the direct kernel (it beat im2col and the
    /// GEMM at these sizes); strided ones, 1x1 ones and images too large for the cache keep the GEMM.
    /// </summary>
    [Theory]
    [InlineData(1, 3, 1, 8, "direct(dense, 4-row blocks")]
    [InlineData(3, 3, 1, 8, "direct(dense, 4-row blocks")]
    [InlineData(2, 3, 2, 8, "im2col")]
    [InlineData(2, 1, 1, 8, "gemm-pointwise")]
    [InlineData(1, 3, 1, 96, "im2col")]
    public void Dense_stride_1_conv_runs_direct_when_its_image_is_small(int batch, int kernel, int stride, int channels, string expected)
    {
        // Strided: 3 outputs per row, narrower than any vector, so the direct kernel does not apply.
        int size = channels > 64 ? 30 : stride > 1 ? 6 : 10;
        var c = new OpCase("Conv").Input(TensorAssert.Random(1, -1, 1, batch, channels, size, size))
            .Const(TensorAssert.Random(2, -1, 1, 8, channels, kernel, kernel)).Const(TensorAssert.Random(3, -1, 1, 8))
            .Attr("strides", stride, stride).Attr("pads", kernel / 2, kernel / 2, kernel / 2, kernel / 2);
        string actual = RunBoth(c.Graph(), new() { ["in0"] = c.Inputs[0].Value });
        Assert.StartsWith(expected, actual.Replace("(chunk", "", StringComparison.Ordinal));
    }

    [Fact]
    public void Two_of_four_weights_are_named_n_of_m()
    {
        // 2:4 along each output channel's reduction (C*KH*KW = 36 taps of W [8, 4, 3, 3]).
        var w = new float[8 * 36];
        var rng = new Random(4);
        for (int r = 0; r < 8; r++)
            for (int g = 0; g < 36; g += 4)
            {
                int a = rng.Next(4), b = (a + 1 + rng.Next(3)) % 4;
                w[r * 36 + g + a] = (float)rng.NextDouble() + 0.1f;
                w[r * 36 + g + b] = -(float)rng.NextDouble() - 0.1f;
            }
        var c = new OpCase("Conv").Input(TensorAssert.Random(1, -1, 1, 2, 4, 10, 10)).Const(Tensor.From(w, 8, 4, 3, 3));
        Assert.StartsWith("nm-2:4(density 0.50", RunBoth(c.Graph(), new() { ["in0"] = c.Inputs[0].Value }));
    }

    [Fact]
    public void Four_row_blocks_are_named_blocks()
    {
        // 4x1 blocks: groups of four outputs share each kept input.
        var w = new float[16 * 48];
        var rng = new Random(5);
        for (int r0 = 0; r0 < 16; r0 += 4)
            for (int k = 0; k < 48; k++)
                if (rng.NextDouble() < 0.25)
                    for (int r = r0; r < r0 + 4; r++) w[r * 48 + k] = (float)rng.NextDouble() + 0.1f;
        var c = new OpCase("Gemm").Input(TensorAssert.Random(1, -1, 1, 1, 48)).Const(Tensor.From(w, 16, 48)).Attr("transB", 1L);
        Assert.StartsWith("block-4x1", RunBoth(c.Graph(), new() { ["in0"] = c.Inputs[0].Value }));
    }

    [Fact]
    public void Fused_conv_with_residual_and_activation_runs_sparse()
    {
        var c = new OpCase("FusedConv").Input(TensorAssert.Random(1, -1, 1, 2, 4, 9, 9))
            .Const(SparseTensor(2, 0.15, 5, 4, 3, 3)).Const(TensorAssert.Random(3, -1, 1, 5)).Input(TensorAssert.Random(4, -1, 1, 2, 5, 9, 9))
            .Attr("pads", 1L, 1L, 1L, 1L).Attr(PrunusDomain.ActivationAttribute, "HardSwish");
        var g = c.Graph();
        g.Nodes[0].Domain = PrunusDomain.Name;
        g.Metadata.Opsets[PrunusDomain.Name] = PrunusDomain.Version;
        string kernel = RunBoth(g, new() { ["in0"] = c.Inputs[0].Value, ["in3"] = c.Inputs[3].Value });
        Assert.StartsWith("sparse-csr", kernel);
        Assert.EndsWith("+hardswish", kernel);
    }

    [Fact]
    public void Fused_gemm_and_matmul_made_by_the_passes_run_sparse()
    {
        var b = new GraphBuilder("sparse_fc", seed: 3);
        var x = b.Input("x", Dim.Sym("N"), 100);
        var h = b.Relu(b.Node("Gemm", [x, b.Parameter("w1", SparseTensor(1, 0.1, 100, 60)), b.Parameter("b1", TensorAssert.Random(2, -1, 1, 60))]));
        h = b.Node("Tanh", [b.Node("MatMul", [h, b.Parameter("w2", SparseTensor(3, 0.1, 60, 10))])]);
        b.Output(h, "y");
        var g = b.Build();
        new ActivationFusionPass().Apply(g);
        Assert.Equal(["FusedGemm", "FusedMatMul"], g.Nodes.Select(n => n.OpType));
        var plan = Planner.Compile(g, new Dictionary<string, int[]> { ["x"] = [64, 100] }, new PlanOptions { Pool = TestPools.Two });
        var kernels = plan.Describe().Select(d => d.Algorithm).ToArray();
        Assert.Matches(@"^sparse-csr\(density 0\.\d\d\)\+relu$", kernels[0]);
        Assert.Matches(@"^sparse-csr\(density 0\.\d\d\)\+tanh$", kernels[1]);
        RunBoth(g, new() { ["x"] = TensorAssert.Random(7, -1, 1, 64, 100) });
    }

    [Fact]
    public void Input_gradients_of_a_sparse_plan_match_the_dense_plan()
    {
        var c = new OpCase("Conv").Input(TensorAssert.Random(1, -1, 1, 2, 3, 8, 8)).Const(SparseTensor(2, 0.2, 4, 3, 3, 3));
        var g = c.Graph();
        var shapes = c.Shapes();
        Tensor Gradient(bool constant)
        {
            var plan = Planner.Compile(g, shapes, new PlanOptions { ConstantWeights = constant, InputGradients = new HashSet<string> { "in0" }, Pool = TestPools.Two });
            plan.Input("in0").CopyFrom(c.Inputs[0].Value);
            plan.Run();
            plan.OutputGradient().Floats.Fill(1f);
            plan.Backward();
            return plan.Gradient("in0").Clone();
        }
        TensorAssert.Close(Gradient(false), Gradient(true));
    }
}
