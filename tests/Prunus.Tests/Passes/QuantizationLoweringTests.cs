using Prunus.Graph;
using Prunus.Graph.Ops;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Passes.PassTestSupport;

namespace Prunus.Tests.Passes;

/// <summary>
/// The lowering of QDQ graphs to integer execution: the lowered graph (the inference pipeline) must give outputs within
/// one quantization step of the QDQ graph run through the reference QuantizeLinear/DequantizeLinear ops, on LeNet-5
/// and MLP shapes and on random small models, with the patterns turned into the fused integer ops.
/// </summary>
public class QuantizationLoweringTests
{
    private static Tensor Images(int seed, int batch, params int[] sample) => TensorAssert.Random(seed, 0, 1, [batch, .. sample]);

    /// <summary>LeNet-5 as in the literature: Conv 1->6 5x5 pad 2, Relu, MaxPool, Conv 6->16 5x5, Relu, MaxPool, 400->120->84->10.</summary>
    internal static ModelGraph LeNet5(ulong seed = 1)
    {
        var b = new GraphBuilder("lenet5", seed);
        var x = b.Input("input", Dim.Sym("N"), 1, 28, 28);
        var y = b.MaxPool(b.Relu(b.Conv(x, 6, 5, pad: 2)), 2);
        y = b.MaxPool(b.Relu(b.Conv(y, 16, 5)), 2);
        y = b.Relu(b.Linear(b.Flatten(y), 120));
        y = b.Relu(b.Linear(y, 84));
        b.Output(b.Linear(y, 10), "logits");
        return b.Build();
    }

    /// <summary>The zoo's lenet5 (Caffe's): Conv 1->20 5x5, MaxPool, Conv 20->50 5x5, MaxPool, 800->500, Relu, 500->10.</summary>
    internal static ModelGraph CaffeLeNet(ulong seed = 2)
    {
        var b = new GraphBuilder("lenet5", seed);
        var x = b.Input("input", Dim.Sym("N"), 1, 28, 28);
        var y = b.MaxPool(b.Conv(x, 20, 5), 2);
        y = b.MaxPool(b.Conv(y, 50, 5), 2);
        y = b.Relu(b.Linear(b.Flatten(y), 500));
        b.Output(b.Linear(y, 10), "logits");
        return b.Build();
    }

    internal static ModelGraph Mlp(ulong seed = 3)
    {
        var b = new GraphBuilder("mlp", seed);
        var x = b.Input("input", Dim.Sym("N"), 1, 28, 28);
        var y = b.Relu(b.Linear(b.Flatten(x), 300));
        y = b.Relu(b.Linear(y, 100));
        b.Output(b.Linear(y, 10), "logits");
        return b.Build();
    }

    /// <summary>Runs <paramref name="g"/> as it is (reference ops) and through the inference pipeline; returns both outputs and the lowered graph.</summary>
    private static (float[] Reference, float[] Lowered, ModelGraph After) Compare(ModelGraph qdq, Tensor input)
    {
        var feeds = new Dictionary<string, Tensor> { [qdq.DataInputs.First().Name] = input };
        var reference = new InferenceSession(qdq, new PlanOptions { Pool = TestPools.Two }).Run(feeds);
        var session = new InferenceSession(qdq, new PlanOptions { Pool = TestPools.Two }, PassPipeline.ForInference);
        var lowered = session.Run(feeds);
        var name = qdq.Outputs[0].Name;
        return (reference[name].Floats.ToArray(), lowered[name].Floats.ToArray(), session.Graph);
    }

    /// <summary>The scale of the quantization of output <paramref name="name"/> (the DQ that writes it), or null.</summary>
    private static float? OutputStep(ModelGraph qdq, string name) =>
        qdq.Producer(name) is { OpType: "DequantizeLinear" } dq ? qdq.Initializers[dq.Inputs[1]].Floats[0] : null;

    private static void AssertWithinOneStep(float[] expected, float[] actual, float step, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        int exact = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            float d = Math.Abs(expected[i] - actual[i]);
            Assert.True(d <= step * 1.0001f + 1e-6f, $"{what}[{i}]: reference {expected[i]}, lowered {actual[i]} (step {step})");
            if (d <= 1e-6f + 1e-6f * Math.Abs(expected[i])) exact++;
        }
        // One-step differences come from ties and float rounding in the reference: rare.
        Assert.True(exact >= 0.9 * expected.Length, $"{what}: only {exact} of {expected.Length} outputs equal the reference's");
    }

    public static TheoryData<string, string> ModelData()
    {
        var d = new TheoryData<string, string>();
        foreach (var model in new[] { "lenet5", "caffe-lenet", "mlp" })
            foreach (var variant in new[] { "per-channel", "per-tensor", "int8-activations", "uint8-weights", "float-bias" })
                d.Add(model, variant);
        return d;
    }

    [Theory]
    [MemberData(nameof(ModelData))]
    public void Lowered_models_stay_within_one_step_of_the_reference(string model, string variant)
    {
        var g = model switch { "lenet5" => LeNet5(), "caffe-lenet" => CaffeLeNet(), _ => Mlp() };
        var options = variant switch
        {
            "per-tensor" => new QdqModels.Options(PerChannel: false),
            "int8-activations" => new QdqModels.Options(Activations: DataType.Int8),
            "uint8-weights" => new QdqModels.Options(Weights: DataType.UInt8),
            "float-bias" => new QdqModels.Options(QuantizeBias: false),
            _ => new QdqModels.Options(),
        };
        var qdq = QdqModels.Quantize(g, [Images(1, 16, 1, 28, 28)], options);
        foreach (int batch in new[] { 1, 5 })
        {
            var (reference, lowered, after) = Compare(qdq, Images(10 + batch, batch, 1, 28, 28));
            AssertWithinOneStep(reference, lowered, OutputStep(qdq, "logits")!.Value, $"{model} {variant} batch {batch}");
            // Every product became an integer op, the first quantizing the model's input itself: nothing of QDQ is left.
            var ops = after.Nodes.Select(n => n.OpType).ToList();
            int products = g.Nodes.Count(n => n.OpType is "Conv" or "Gemm");
            Assert.Equal(products, ops.Count(o => o is "QLinearFusedConv" or "QLinearFusedGemm"));
            Assert.DoesNotContain("DequantizeLinear", ops);
            Assert.DoesNotContain("QuantizeLinear", ops);
            Assert.Equal(1, after.Nodes.First(n => n.OpType.StartsWith("QLinearFused", StringComparison.Ordinal)).Attributes[QLinearFused.QuantizeInputAttribute].Int);
            Assert.Equal(0, ops.Count(o => o is "Conv" or "Gemm" or "FusedConv" or "FusedGemm" or "Relu"));
            // The last layer writes floats on the logits' grid itself.
            var last = after.Producer("logits")!;
            Assert.Equal("QLinearFusedGemm", last.OpType);
            Assert.Equal(1, last.Attributes[QLinearFused.DequantizeAttribute].Int);
        }
    }

    /// <summary>The inference pipeline without the fusion of max pools into integer convolutions.</summary>
    private static PassPipeline WithoutPoolFusion => new(PassPipeline.ForInference.Passes.Where(p => p is not QuantizedPoolFusionPass));

    [Fact]
    public void Max_pooling_runs_on_the_integers()
    {
        var qdq = QdqModels.Quantize(LeNet5(), [Images(1, 8, 1, 28, 28)]);
        var after = WithoutPoolFusion.Optimize(qdq);
        var pools = after.Nodes.Where(n => n.OpType == "MaxPool").ToList();
        Assert.Equal(2, pools.Count);
        var facts = ShapeFacts.Of(after);
        Assert.All(pools, p => Assert.Equal(DataType.UInt8, facts.Type(p.Inputs[0])));
    }

    /// <summary>
    /// The 2x2 max pools below the integer convolutions fuse into them and change no output bit: dense weights (the
    /// pool runs on the bytes from scratch) and 90%-sparse ones (the float-carried kernel pools its sums before the
    /// output stage), uint8 and int8 activations, batch 1 and 16.
    /// </summary>
    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Max_pools_fuse_into_integer_convolutions_bit_for_bit(bool sparse, bool signedActivations)
    {
        var g = CaffeLeNet();
        if (sparse)
            foreach (var node in g.Nodes.Where(n => n.OpType == "Conv"))
            {
                var w = g.Initializers[node.Inputs[1]].Floats;
                for (int i = 0; i < w.Length; i++) if (i % 10 != 3) w[i] = 0;
            }
        var options = new QdqModels.Options(Activations: signedActivations ? DataType.Int8 : DataType.UInt8);
        var qdq = QdqModels.Quantize(g, [Images(1, 16, 1, 28, 28)], options);
        var fused = PassPipeline.ForInference.Optimize(qdq);
        Assert.DoesNotContain(fused.Nodes, n => n.OpType == "MaxPool");
        var convs = fused.Nodes.Where(n => n.OpType == "QLinearFusedConv").ToList();
        Assert.Equal(2, convs.Count);
        Assert.All(convs, c => Assert.Equal(PrunusDomain.MaxPool2x2, c.Attributes[PrunusDomain.PoolingAttribute].String));
        foreach (int batch in new[] { 1, 16 })
        {
            var feeds = new Dictionary<string, Tensor> { ["input"] = Images(20 + batch, batch, 1, 28, 28) };
            var expected = new InferenceSession(qdq, new PlanOptions { Pool = TestPools.Two }, WithoutPoolFusion).Run(feeds)["logits"].Floats.ToArray();
            var session = new InferenceSession(qdq, new PlanOptions { Pool = TestPools.Two }, PassPipeline.ForInference);
            Assert.Equal(expected, session.Run(feeds)["logits"].Floats.ToArray());
            var kernels = session.PlanFor(new Dictionary<string, int[]> { ["input"] = [batch, 1, 28, 28] }).Describe()
                .Where(s => s.Node.OpType == "QLinearFusedConv").Select(s => s.Algorithm).ToList();
            Assert.All(kernels, k => Assert.Contains("maxpool2x2", k, StringComparison.Ordinal));
            // Sparse weights at batch 16 take the float-carried kernel, which pools the sums (where the machine prefers it).
            if (sparse && batch == 16 && FloatCarry.Preferred) Assert.All(kernels, k => Assert.Contains("on sums", k, StringComparison.Ordinal));
        }
    }

    /// <summary>Random chains of convolutions (kernels, strides, pads, groups), pools, Relu/Clip and dense layers.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Random_models_stay_within_one_step_of_the_reference(int seed)
    {
        var rng = new Random(seed);
        var b = new GraphBuilder("random", (ulong)seed);
        int c = rng.Next(1, 5), h = rng.Next(6, 14);
        var y = b.Input("input", Dim.Sym("N"), c, h, h);
        int convs = rng.Next(1, 4);
        for (int i = 0; i < convs; i++)
        {
            int k = rng.Next(1, 4), stride = rng.Next(1, 3), pad = rng.Next(0, k);
            int groups = rng.Next(3) == 0 && b.ShapeOf(y)[1] % 2 == 0 ? 2 : 1;
            int outC = groups * rng.Next(1, 5);
            if (b.ShapeOf(y)[2] < k) break;
            y = b.Conv(y, outC, k, stride, pad, groups, bias: rng.Next(4) != 0);
            y = rng.Next(3) switch { 0 => b.Relu(y), 1 => b.Relu6(y), _ => y };
            if (rng.Next(3) == 0 && b.ShapeOf(y)[2] >= 2) y = b.MaxPool(y, 2);
        }
        y = b.Flatten(y);
        int layers = rng.Next(1, 3);
        for (int i = 0; i < layers; i++)
        {
            y = rng.Next(2) == 0 ? b.Linear(y, rng.Next(1, 40)) : b.Node("MatMul", [y, b.Parameter(b.UniqueName("w"), TensorAssert.Random(seed + i, -0.5f, 0.5f, b.ShapeOf(y)[1], rng.Next(1, 30)))]);
            if (i < layers - 1 || rng.Next(2) == 0) y = b.Relu(y);
        }
        b.Output(y, "y");
        var g = b.Build();
        var options = new QdqModels.Options(PerChannel: rng.Next(2) == 0, Activations: rng.Next(2) == 0 ? DataType.UInt8 : DataType.Int8,
            Weights: rng.Next(3) == 0 ? DataType.UInt8 : DataType.Int8);
        var qdq = QdqModels.Quantize(g, [Images(seed, 8, c, h, h)], options);
        foreach (int batch in new[] { 1, 3 })
        {
            var (reference, lowered, after) = Compare(qdq, Images(seed + 100 + batch, batch, c, h, h));
            float step = OutputStep(qdq, "y") ?? 0;
            AssertWithinOneStep(reference, lowered, step, $"seed {seed} batch {batch}: {string.Join(" ", after.Nodes.Select(n => n.OpType))}");
            Assert.Equal(g.Nodes.Count(n => n.OpType is "Conv" or "Gemm" or "MatMul"),
                after.Nodes.Count(n => n.OpType is "QLinearFusedConv" or "QLinearFusedGemm"));
        }
    }

    /// <summary>Logits left in float (no Q after the last layer): that layer writes floats from its integer sums.</summary>
    [Fact]
    public void Unquantized_outputs_get_the_float_epilogue()
    {
        var qdq = QdqModels.Quantize(Mlp(), [Images(1, 8, 1, 28, 28)]);
        // Drop the logits' Q -> DQ: the last Gemm writes them directly.
        var dq = qdq.Producer("logits")!;
        var q = qdq.Producer(dq.Inputs[0])!;
        var gemm = qdq.Producer(q.Inputs[0])!;
        qdq.Nodes.Remove(dq);
        qdq.Nodes.Remove(q);
        gemm.Outputs[0] = "logits";
        var (reference, lowered, after) = Compare(qdq, Images(3, 4, 1, 28, 28));
        TensorAssert.Close(reference, lowered, 1e-4, 1e-4);
        var last = after.Producer("logits")!;
        Assert.Equal("QLinearFusedGemm", last.OpType);
        Assert.False(last.Attributes.ContainsKey(QLinearFused.DequantizeAttribute));
        Assert.Null(last.InputOrNull(QLinearFused.YScale));
    }

    /// <summary>Patterns the integer kernels cannot take stay in float through the reference Q/DQ ops, and the graph still runs.</summary>
    [Fact]
    public void Unmatched_patterns_stay_in_float()
    {
        var b = new GraphBuilder("mixed", 4);
        var x = b.Input("input", Dim.Sym("N"), 2, 8, 8);
        var y = b.Sigmoid(b.Conv(x, 4, 3, pad: 1));
        y = b.Node("AveragePool", [y], new Dictionary<string, AttributeValue> { ["kernel_shape"] = AttributeValue.Of(new long[] { 2, 2 }), ["strides"] = AttributeValue.Of(new long[] { 2, 2 }) });
        y = b.Linear(b.Flatten(y), 6);
        b.Output(y, "y");
        var qdq = QdqModels.Quantize(b.Build(), [Images(1, 4, 2, 8, 8)]);
        var (reference, lowered, after) = Compare(qdq, Images(2, 3, 2, 8, 8));
        AssertWithinOneStep(reference, lowered, OutputStep(qdq, "y")!.Value, "mixed");
        // The Conv (its output feeds a Sigmoid, not a Q) writes floats; the Sigmoid and AveragePool stay float.
        Assert.Contains("Sigmoid", after.Nodes.Select(n => n.OpType));
        Assert.Contains("AveragePool", after.Nodes.Select(n => n.OpType));
        Assert.Equal(2, after.Nodes.Count(n => n.OpType is "QLinearFusedConv" or "QLinearFusedGemm"));
    }

    [Fact]
    public void Matching_quantize_of_dequantize_cancels()
    {
        var b = new GraphBuilder("pair", 5);
        var x = b.Input("x", 1, 4);
        var scale = b.Parameter("s", Tensor.Scalar(0.1f));
        var zero = b.Parameter("z", Tensor.Scalar((byte)7));
        var q = b.Node("QuantizeLinear", [x, scale, zero]);
        var dq = b.Node("DequantizeLinear", [q, scale, zero]);
        var q2 = b.Node("QuantizeLinear", [dq, scale, zero]);
        b.Output(b.Node("DequantizeLinear", [q2, scale, zero]), "y");
        var g = b.Build();
        var (after, rewrites) = ApplyAndCompare(g, new QuantizationLoweringPass(), 1e-6, 1);
        Assert.True(rewrites >= 1);
        Assert.Equal(1, Count(after, "QuantizeLinear"));
    }

    // ---- standard integer ops routed to the integer kernels ----

    private static Tensor Int8s(int seed, bool signed, params int[] shape)
    {
        var rng = new Random(seed);
        int n = ShapeMath.Size(shape);
        return signed ? Tensor.From(Enumerable.Range(0, n).Select(_ => (sbyte)rng.Next(-128, 128)).ToArray(), shape)
            : Tensor.From(Enumerable.Range(0, n).Select(_ => (byte)rng.Next(0, 256)).ToArray(), shape);
    }

    /// <summary>x (float) -> QuantizeLinear -> the op under test with constant weights -> graph output (integers).</summary>
    private static ModelGraph StandardOpGraph(string op, bool xSigned, bool wSigned, bool perChannel, int seed)
    {
        bool conv = op is "QLinearConv" or "ConvInteger";
        var g = new ModelGraph { Name = op };
        g.Metadata.Opsets[""] = 13;
        int[] xShape = conv ? [2, 3, 9, 8] : [5, 24];
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, xShape.Select(d => (Dim)d).ToArray()));
        int k = conv ? 4 : 7;
        int[] wShape = conv ? [k, 3, 3, 3] : [24, k];
        g.Initializers["x_s"] = Tensor.Scalar(0.03f);
        g.Initializers["x_zp"] = xSigned ? Tensor.Scalar((sbyte)-5) : Tensor.Scalar((byte)120);
        g.Initializers["w"] = Int8s(seed, wSigned, wShape);
        var rng = new Random(seed + 1);
        g.Initializers["w_s"] = perChannel ? Tensor.From(Enumerable.Range(0, k).Select(_ => 0.002f + (float)rng.NextDouble() * 0.01f).ToArray(), k) : Tensor.Scalar(0.005f);
        g.Initializers["w_zp"] = perChannel
            ? (wSigned ? Tensor.From(Enumerable.Range(0, k).Select(_ => (sbyte)rng.Next(-3, 4)).ToArray(), k) : Tensor.From(Enumerable.Range(0, k).Select(_ => (byte)rng.Next(120, 136)).ToArray(), k))
            : (wSigned ? Tensor.Scalar((sbyte)2) : Tensor.Scalar((byte)128));
        g.Initializers["y_s"] = Tensor.Scalar(0.2f);
        g.Initializers["y_zp"] = Tensor.Scalar((byte)100);
        g.Initializers["b"] = Tensor.From(Enumerable.Range(0, k).Select(_ => rng.Next(-3000, 3000)).ToArray(), k);
        g.Nodes.Add(new Node("QuantizeLinear", "q", ["x", "x_s", "x_zp"], ["x_q"]));
        var attrs = conv ? new Dictionary<string, AttributeValue> { ["pads"] = AttributeValue.Of(new long[] { 1, 1, 1, 1 }) } : [];
        Node node = op switch
        {
            "QLinearConv" => new Node(op, "op", ["x_q", "x_s", "x_zp", "w", "w_s", "w_zp", "y_s", "y_zp", "b"], ["y"]),
            "QLinearMatMul" => new Node(op, "op", ["x_q", "x_s", "x_zp", "w", "w_s", "w_zp", "y_s", "y_zp"], ["y"]),
            _ => new Node(op, "op", ["x_q", "w", "x_zp", "w_zp"], ["y"]),
        };
        foreach (var (name, v) in attrs) node.Attributes[name] = v;
        g.Nodes.Add(node);
        g.Outputs.Add(new ValueInfo("y", op.EndsWith("Integer", StringComparison.Ordinal) ? DataType.Int32 : DataType.UInt8, null));
        return g;
    }

    public static TheoryData<string, bool, bool, bool> StandardOpData()
    {
        var d = new TheoryData<string, bool, bool, bool>();
        foreach (var op in new[] { "QLinearConv", "QLinearMatMul", "ConvInteger", "MatMulInteger" })
            foreach (bool xs in new[] { false, true })
                foreach (bool ws in new[] { true, false })
                    d.Add(op, xs, ws, xs == ws);
        return d;
    }

    /// <summary>The standard integer ops with constant weights run on the fused integer ops and give the reference ops' integers exactly.</summary>
    [Theory]
    [MemberData(nameof(StandardOpData))]
    public void Standard_integer_ops_run_on_the_integer_kernels(string op, bool xSigned, bool wSigned, bool perChannel)
    {
        var g = StandardOpGraph(op, xSigned, wSigned, perChannel, op.Length * 7 + (xSigned ? 1 : 0) + (wSigned ? 2 : 0));
        var x = TensorAssert.Random(3, -4, 4, g.Inputs[0].Dims!.Select(d => d.Value!.Value).ToArray());
        var feeds = new Dictionary<string, Tensor> { ["x"] = x };
        var reference = new InferenceSession(g, new PlanOptions { Pool = TestPools.Two }).Run(feeds)["y"];
        var session = new InferenceSession(g, new PlanOptions { Pool = TestPools.Two }, PassPipeline.ForInference);
        var lowered = session.Run(feeds)["y"];
        Assert.Equal(reference.Shape, lowered.Shape);
        Assert.Equal(reference.ToInt64Array(), lowered.ToInt64Array());
        Assert.Contains(session.Graph.Nodes, n => n.OpType is "QLinearFusedConv" or "QLinearFusedGemm");
        Assert.DoesNotContain(session.Graph.Nodes, n => n.OpType == op);
    }

    /// <summary>ONNX Runtime's static quantizer's linear layer (MatMul, Add of a DQ int32 bias, Relu) lowers too.</summary>
    [Fact]
    public void Onnx_runtime_style_linear_layer_lowers()
    {
        var g = Prunus.Tests.Ops.Quantization.QdqGraphs.QdqLinear();
        var x = TensorAssert.Random(4, -3, 3, 6, 4);
        var (reference, lowered, after) = Compare(g, x);
        AssertWithinOneStep(reference, lowered, 0.05f, "qdq_linear");
        Assert.Contains(after.Nodes, n => n.OpType == "QLinearFusedGemm");
        // The bias Add, the Relu and the output's Q -> DQ are all in the one integer op.
        Assert.Equal(["QLinearFusedGemm"], after.Nodes.Select(n => n.OpType));
        Assert.Equal("b_q", after.Nodes[0].Inputs[QLinearFused.Bias]);
    }

    /// <summary>
    /// A QDQ MatMul layer x [N, 3, 4] -> 5 outputs: the input quantized, then either a Flatten of it (the input's Q
    /// ahead of a reshape, as `prunus quantize` writes an MLP) or a flat input, and the weight either stored [K, N] or
    /// transposed ([N, K] per row, DQ -> Transpose).
    /// </summary>
    private static ModelGraph QdqMatMul(int seed, bool flatten, bool transposedWeight)
    {
        var g = new ModelGraph { Name = "qdq_matmul" };
        g.Metadata.Opsets[""] = 13;
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, flatten ? [Dim.Sym("N"), 3, 4] : [Dim.Sym("N"), 12]));
        var rng = new Random(seed);
        g.Initializers["x_s"] = Tensor.Scalar(0.02f);
        g.Initializers["x_zp"] = Tensor.Scalar((byte)128);
        var w = Enumerable.Range(0, 5 * 12).Select(_ => (sbyte)rng.Next(-127, 128)).ToArray();
        g.Initializers["w_q"] = transposedWeight ? Tensor.From(w, 5, 12) : Tensor.From(w, 12, 5);
        g.Initializers["w_s"] = Tensor.From(Enumerable.Range(0, 5).Select(_ => 0.005f + (float)rng.NextDouble() * 0.01f).ToArray(), 5);
        g.Initializers["y_s"] = Tensor.Scalar(0.03f);
        g.Initializers["y_zp"] = Tensor.Scalar((byte)90);
        g.Nodes.Add(new Node("QuantizeLinear", "qx", ["x", "x_s", "x_zp"], ["x_q"]));
        g.Nodes.Add(new Node("DequantizeLinear", "dqx", ["x_q", "x_s", "x_zp"], ["x_dq"]));
        var x = "x_dq";
        if (flatten) g.Nodes.Add(new Node("Flatten", "flat", [x], [x = "x_flat"]));
        if (transposedWeight)
        {
            g.Nodes.Add(new Node("DequantizeLinear", "dqw", ["w_q", "w_s"], ["w_t"]).With("axis", AttributeValue.Of(0L)));
            g.Nodes.Add(new Node("Transpose", "t", ["w_t"], ["w"]));
        }
        else g.Nodes.Add(new Node("DequantizeLinear", "dqw", ["w_q", "w_s"], ["w"]).With("axis", AttributeValue.Of(1L)));
        g.Nodes.Add(new Node("MatMul", "mm", [x, "w"], ["mm_out"]));
        g.Nodes.Add(new Node("QuantizeLinear", "qy", ["mm_out", "y_s", "y_zp"], ["y_q"]));
        g.Nodes.Add(new Node("DequantizeLinear", "dqy", ["y_q", "y_s", "y_zp"], ["y"]));
        g.Outputs.Add(new ValueInfo("y", DataType.Float32, [Dim.Sym("N"), 5]));
        return g;
    }

    /// <summary>A weight stored transposed: DQ(W_q [N, K], per row) -> Transpose -> MatMul reads W_q as stored.</summary>
    [Fact]
    public void Transposed_weights_lower_with_transB()
    {
        var (reference, lowered, after) = Compare(QdqMatMul(8, flatten: false, transposedWeight: true), TensorAssert.Random(2, -2, 2, 4, 12));
        AssertWithinOneStep(reference, lowered, 0.03f, "transposed");
        var fused = Assert.Single(after.Nodes);
        Assert.Equal("QLinearFusedGemm", fused.OpType);
        Assert.Equal(1, fused.Attributes["transB"].Int);
        Assert.Equal("w_q", fused.Inputs[QLinearFused.W]);
    }

    /// <summary>
    /// The model input's quantization before a Flatten (how `prunus quantize` writes an MLP): the Flatten moves onto the
    /// floats and the first integer op quantizes its input itself, so no QuantizeLinear runs on its own.
    /// </summary>
    [Fact]
    public void Input_quantization_behind_a_flatten_joins_the_first_integer_op()
    {
        var (reference, lowered, after) = Compare(QdqMatMul(9, flatten: true, transposedWeight: false), TensorAssert.Random(3, -2, 2, 4, 3, 4));
        AssertWithinOneStep(reference, lowered, 0.03f, "flattened");
        Assert.Equal(["Flatten", "QLinearFusedGemm"], after.Nodes.Select(n => n.OpType));
        Assert.Equal("x", after.Nodes[0].Inputs[0]);
        Assert.Equal(1, after.Nodes[1].Attributes[QLinearFused.QuantizeInputAttribute].Int);
    }
}
