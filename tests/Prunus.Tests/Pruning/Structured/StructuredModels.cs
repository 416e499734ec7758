using Prunus.Tests.Support;
using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Models;
using Prunus.Pruning.Structured;
using Prunus.Tensors;

namespace Prunus.Tests.Pruning.Structured;

/// <summary>Small models with the patterns structured pruning must follow or refuse, and helpers to run them.</summary>
internal static class StructuredModels
{
    public static ModelGraph Zoo(string name) => name switch
    {
        "resnet" => WithRandomBatchNorm(ModelZoo.Create("resnet", new ZooOptions { Depth = 8, Width = 0.5f, Height = 12, ImageWidth = 12, Seed = 3 })),
        "mobilenet" => WithRandomBatchNorm(ModelZoo.Create("mobilenet", new ZooOptions { Width = 0.5f, Height = 16, ImageWidth = 16, Seed = 4 })),
        _ => ModelZoo.Create(name, new ZooOptions { Seed = 5 }),
    };

    /// <summary>BatchNorm layers with random scale, shift, mean and variance, so that removed channels would show.</summary>
    public static ModelGraph WithRandomBatchNorm(ModelGraph g, int seed = 11)
    {
        var rng = new Random(seed);
        foreach (var n in g.Nodes.Where(n => n.OpType == "BatchNormalization"))
            for (int i = 1; i <= 4; i++)
            {
                var t = g.Initializers[n.Inputs[i]].Floats;
                for (int c = 0; c < t.Length; c++)
                    t[c] = i switch { 1 => 0.5f + (float)rng.NextDouble(), 4 => 0.5f + (float)rng.NextDouble(), _ => (float)rng.NextDouble() - 0.5f };
            }
        return g;
    }

    /// <summary>Runs <paramref name="g"/> on <paramref name="x"/>; returns output 0.</summary>
    public static float[] Run(ModelGraph g, Tensor x)
    {
        var plan = Planner.Compile(g, x.Shape, new PlanOptions { ConstantWeights = false });
        plan.Input(0).CopyFrom(x);
        plan.Run();
        return plan.Output(0).Floats.ToArray();
    }

    /// <summary>A random input for the model's first data input at batch <paramref name="batch"/>.</summary>
    public static Tensor Input(ModelGraph g, int batch = 2, int seed = 7) =>
        TensorAssert.Random(seed, -1, 1, g.DataInputs.First().Concrete(batch));

    /// <summary>Max |a - b| over max |b| (b's scale), the relative error of a whole output.</summary>
    public static double RelativeError(float[] a, float[] b)
    {
        double diff = 0, scale = 1e-12;
        for (int i = 0; i < a.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(a[i] - b[i]));
            scale = Math.Max(scale, Math.Abs(b[i]));
        }
        return diff / scale;
    }

    /// <summary>Some channels of every prunable group: about a third, never all, chosen by group and index.</summary>
    public static ChannelSelection SomeChannels(ChannelAnalysis analysis)
    {
        var s = new ChannelSelection();
        foreach (var g in analysis.Prunable)
        {
            var chosen = Enumerable.Range(0, g.Channels).Where(i => (i * 7 + g.Id) % 3 == 0).ToList();
            if (chosen.Count >= g.Channels) chosen.RemoveAt(0);
            s.Remove(g.Id, chosen);
        }
        return s;
    }

    private static (GraphBuilder B, string X) Start(string name, int channels = 3, int size = 8)
    {
        var b = new GraphBuilder(name, 9);
        return (b, b.Input("input", Dim.Sym("N"), channels, size, size));
    }

    private static Dictionary<string, AttributeValue> Attr(string name, AttributeValue value) => new() { [name] = value };

    private static string Head(GraphBuilder b, string x, int classes = 4)
    {
        var y = b.Flatten(b.GlobalAveragePool(x));
        return b.Output(b.Linear(y, classes, name: "fc"), "logits");
    }

    /// <summary>Two branches (4 and 3 channels) concatenated into 7, read by one conv.</summary>
    public static ModelGraph Concat()
    {
        var (b, x) = Start("concat");
        var a = b.Relu(b.Conv(x, 4, 3, pad: 1, name: "a"));
        var c = b.Relu(b.Conv(x, 3, 1, name: "c"));
        var cat = b.Node("Concat", [a, c], Attr("axis", AttributeValue.Of(1L)), "cat");
        var d = b.Relu(b.BatchNorm(b.Conv(cat, 5, 3, pad: 1, name: "d"), name: "d_bn"));
        Head(b, d);
        return WithRandomBatchNorm(b.Build());
    }

    /// <summary>A concatenation (4 + 3) added to a 7-channel branch: all three producers form one group of 7.</summary>
    public static ModelGraph ConcatResidual()
    {
        var (b, x) = Start("concat_residual");
        var a = b.Conv(x, 4, 3, pad: 1, name: "a");
        var c = b.Conv(x, 3, 1, name: "c");
        var cat = b.Node("Concat", [a, c], Attr("axis", AttributeValue.Of(1L)), "cat");
        var e = b.Conv(x, 7, 1, name: "e");
        var sum = b.Relu(b.Add(cat, e));
        Head(b, b.Relu(b.Conv(sum, 5, 3, pad: 1, name: "d")));
        return b.Build();
    }

    /// <summary>A conv split in two along channels (equal parts, no sizes given), each part read by its own conv.</summary>
    public static ModelGraph Split()
    {
        var (b, x) = Start("split");
        var s = b.Relu(b.Conv(x, 8, 3, pad: 1, name: "s"));
        var parts = b.Nodes("Split", [s], 2, Attr("axis", AttributeValue.Of(1L)), "split");
        var p = b.Conv(parts[0], 4, 1, name: "p");
        var q = b.Conv(parts[1], 4, 1, name: "q");
        Head(b, b.Relu(b.Add(p, q)));
        return b.Build();
    }

    /// <summary>Conv (6 channels) reshaped with a target holding the channel count, then read by a Gemm.</summary>
    /// <param name="keepChannelAxis">[0, 6, -1] then ReduceMean over positions; otherwise [-1, 6*H*W] straight into the Gemm.</param>
    public static ModelGraph ReshapeTarget(bool keepChannelAxis)
    {
        var (b, x) = Start("reshape", size: 4);
        var r = b.Relu(b.Conv(x, 6, 3, pad: 1, name: "r"));
        string y;
        if (keepChannelAxis)
        {
            var shape = b.Parameter("target", Tensor.From(new long[] { 0, 6, -1 }, 3));
            var reshaped = b.Node("Reshape", [r, shape], name: "reshape");
            y = b.Node("ReduceMean", [reshaped], new Dictionary<string, AttributeValue> { ["axes"] = AttributeValue.Of(new long[] { 2 }), ["keepdims"] = AttributeValue.Of(0L) }, "mean");
        }
        else
        {
            var shape = b.Parameter("target", Tensor.From(new long[] { -1, 96 }, 2));
            y = b.Node("Reshape", [r, shape], name: "reshape");
        }
        b.Output(b.Linear(y, 3, name: "fc"), "logits");
        return b.Build();
    }

    /// <summary>Conv (6 channels of 4x4) reshaped to [N, 4, 24]: rows that straddle channels, which pruning cannot follow.</summary>
    public static ModelGraph UnprovableReshape()
    {
        var (b, x) = Start("bad_reshape", size: 4);
        var r = b.Relu(b.Conv(x, 6, 3, pad: 1, name: "r"));
        var t = b.Node("Reshape", [r, b.Parameter("target", Tensor.From(new long[] { 0, 4, -1 }, 3))], name: "split_channels");
        var flat = b.Node("Reshape", [t, b.Parameter("flat", Tensor.From(new long[] { 0, -1 }, 2))], name: "flatten");
        var h = b.Relu(b.Linear(flat, 5, name: "hidden"));
        b.Output(b.Linear(h, 3, name: "fc"), "logits");
        return b.Build();
    }

    /// <summary>A conv whose activations are also a graph output, next to a normal conv.</summary>
    public static ModelGraph ChannelOutput()
    {
        var (b, x) = Start("features_out");
        var a = b.Relu(b.Conv(x, 4, 3, pad: 1, name: "a"));
        a = b.Output(a, "features");
        var c = b.Relu(b.Conv(a, 6, 3, pad: 1, name: "c"));
        Head(b, c);
        return b.Build();
    }

    /// <summary>A grouped (group=2, not depthwise) conv between two convs, or reading the (4-channel) image.</summary>
    public static ModelGraph Grouped(bool onImage = false)
    {
        var (b, x) = Start("grouped", channels: onImage ? 4 : 3);
        var a = onImage ? x : b.Relu(b.Conv(x, 4, 3, pad: 1, name: "a"));
        var g = b.Relu(b.Conv(a, 6, 3, pad: 1, groups: 2, name: "g"));
        var c = b.Relu(b.Conv(g, 5, 1, name: "c"));
        Head(b, c);
        return b.Build();
    }

    /// <summary>A depthwise conv with channel multiplier 2 (3 -> 6) between two convs.</summary>
    public static ModelGraph DepthwiseMultiplier()
    {
        var (b, x) = Start("dw2");
        var a = b.Relu(b.Conv(x, 3, 3, pad: 1, name: "a"));
        var dw = b.Relu(b.Conv(a, 6, 3, pad: 1, groups: 3, name: "dw"));
        Head(b, b.Relu(b.Conv(dw, 5, 1, name: "c")));
        return b.Build();
    }

    /// <summary>Conv, InstanceNorm, ReLU6 (Clip), AveragePool, per-channel Mul and Add constants, Dropout, Sigmoid-gated squeeze-excite, Transpose to NHWC and a MatMul.</summary>
    public static ModelGraph Mixed()
    {
        var (b, x) = Start("mixed");
        var c = b.Conv(x, 6, 3, pad: 1, name: "c");
        c = b.Node("InstanceNormalization", [c, b.Parameter("in.scale", TensorAssert.Random(12, 0.5f, 1.5f, 6)), b.Parameter("in.bias", TensorAssert.Random(13, -0.5f, 0.5f, 6))], name: "in");
        c = b.AveragePool(b.Relu6(c), 3, 1, 1);
        var scale = b.Parameter("scale", TensorAssert.Random(1, 0.5f, 1.5f, 1, 6, 1, 1));
        var shift = b.Parameter("shift", TensorAssert.Random(2, -0.5f, 0.5f, 6, 1, 1));
        var y = b.Add(b.Mul(c, scale), shift);
        y = b.Nodes("Dropout", [y], 1, name: "drop")[0];
        var s = b.Relu(b.Conv(b.GlobalAveragePool(y), 3, 1, name: "se.reduce"));
        s = b.Sigmoid(b.Conv(s, 6, 1, name: "se.expand"));
        y = b.Mul(y, s);
        var nhwc = b.Node("Transpose", [y], Attr("perm", AttributeValue.Of(new long[] { 0, 2, 3, 1 })), "to_nhwc");
        var w = b.Parameter("proj.weight", TensorAssert.Random(3, -0.5f, 0.5f, 6, 5));
        var p = b.Relu(b.Node("MatMul", [nhwc, w], name: "proj"));
        var pooled = b.Node("ReduceMean", [p], new Dictionary<string, AttributeValue> { ["axes"] = AttributeValue.Of(new long[] { 1, 2 }), ["keepdims"] = AttributeValue.Of(0L) }, "pool");
        b.Output(b.Linear(pooled, 3, name: "fc"), "logits");
        return b.Build();
    }

    /// <summary>MatMul + Add bias layers on flat input: x [N, 8] -> 16 -> 3.</summary>
    public static ModelGraph MatMulMlp()
    {
        var b = new GraphBuilder("matmul_mlp", 4);
        var x = b.Input("input", Dim.Sym("N"), 8);
        var h = b.Node("MatMul", [x, b.Parameter("w1", TensorAssert.Random(4, -0.5f, 0.5f, 8, 16))], name: "fc1");
        h = b.Relu(b.Add(h, b.Parameter("b1", TensorAssert.Random(5, -0.5f, 0.5f, 16))));
        var z = b.Node("MatMul", [h, b.Parameter("w2", TensorAssert.Random(6, -0.5f, 0.5f, 16, 3))], name: "fc2");
        b.Output(b.Add(z, b.Parameter("b2", TensorAssert.Random(7, -0.5f, 0.5f, 3))), "logits");
        return b.Build();
    }

    /// <summary>Gemm layers with weights stored [in, out] (transB = 0): x [N, 8] -> 12 -> 10 -> 3.</summary>
    public static ModelGraph GemmNoTranspose()
    {
        var b = new GraphBuilder("gemm_t0", 4);
        var x = b.Input("input", Dim.Sym("N"), 8);
        string Layer(string v, int inF, int outF, string name, int seed) => b.Node("Gemm",
            [v, b.Parameter($"{name}.weight", TensorAssert.Random(seed, -0.5f, 0.5f, inF, outF)), b.Parameter($"{name}.bias", TensorAssert.Random(seed + 1, -0.5f, 0.5f, 1, outF))],
            new Dictionary<string, AttributeValue> { ["alpha"] = AttributeValue.Of(0.5f) }, name);
        var h = b.Relu(Layer(x, 8, 12, "fc1", 20));
        h = b.Sigmoid(Layer(h, 12, 10, "fc2", 22));
        b.Output(Layer(h, 10, 3, "fc3", 24), "logits");
        return b.Build();
    }

    /// <summary>A conv whose channels feed CumSum along the channel axis, an op structured pruning does not follow.</summary>
    public static ModelGraph CumulativeChannels()
    {
        var (b, x) = Start("cumsum");
        var a = b.Relu(b.Conv(x, 4, 3, pad: 1, name: "a"));
        var s = b.Node("CumSum", [a, b.Parameter("axis", Tensor.Scalar(1L))], name: "cumsum");
        Head(b, b.Relu(b.Conv(s, 5, 1, name: "c")));
        return b.Build();
    }

    /// <summary>Conv, BN, ReLU, conv, BN, ReLU, pooling, fc: two BatchNorm layers, the second fed through the first.</summary>
    public static ModelGraph TwoBatchNorms()
    {
        var (b, x) = Start("two_bn", channels: 1, size: 6);
        var y = b.Relu(b.BatchNorm(b.Conv(x, 4, 3, pad: 1, name: "c1"), name: "bn1"));
        y = b.Relu(b.BatchNorm(b.Conv(y, 5, 3, pad: 1, name: "c2"), name: "bn2"));
        Head(b, y, 3);
        return WithRandomBatchNorm(b.Build());
    }

    /// <summary>
    /// Conv (6 channels) viewed as [N, C, H*W] with the target computed from Shape, as PyTorch exports
    /// x.view(x.size(0), x.size(1), -1): Shape -> Gather -> Unsqueeze -> Concat -> Reshape; then mean over positions, fc.
    /// </summary>
    /// <param name="arithmetic">Passes the channel count through a Mul by 1 first: no longer provably the channel count.</param>
    public static ModelGraph ViewByShape(bool arithmetic)
    {
        var (b, x) = Start("view", size: 4);
        var r = b.Relu(b.Conv(x, 6, 3, pad: 1, name: "r"));
        var g = b.Build();
        g.Initializers["i0"] = Tensor.Scalar(0L);
        g.Initializers["i1"] = Tensor.Scalar(1L);
        g.Initializers["axis0"] = Tensor.From(new long[] { 0 }, 1);
        g.Initializers["rest"] = Tensor.From(new long[] { -1 }, 1);
        g.Initializers["one"] = Tensor.Scalar(1L);
        g.Initializers["fc.weight"] = TensorAssert.Random(8, -0.5f, 0.5f, 3, 6);
        g.Initializers["fc.bias"] = TensorAssert.Random(9, -0.5f, 0.5f, 3);
        var axis0 = AttributeValue.Of(0L);
        g.Nodes.Add(new Node("Shape", "shape", [r], ["s"]));
        g.Nodes.Add(new Node("Gather", "take_n", ["s", "i0"], ["n"]).With("axis", axis0));
        g.Nodes.Add(new Node("Gather", "take_c", ["s", "i1"], ["c"]).With("axis", axis0));
        var c = "c";
        if (arithmetic) { g.Nodes.Add(new Node("Mul", "times_one", ["c", "one"], ["c1"])); c = "c1"; }
        g.Nodes.Add(new Node("Unsqueeze", "n_1d", ["n", "axis0"], ["n_"]));
        g.Nodes.Add(new Node("Unsqueeze", "c_1d", [c, "axis0"], ["c_"]));
        g.Nodes.Add(new Node("Concat", "target", ["n_", "c_", "rest"], ["t"]).With("axis", axis0));
        g.Nodes.Add(new Node("Reshape", "view", [r, "t"], ["v"]));
        g.Nodes.Add(new Node("ReduceMean", "mean", ["v"], ["m"]).With("axes", AttributeValue.Of(new long[] { 2 })).With("keepdims", axis0));
        g.Nodes.Add(new Node("Gemm", "fc", ["m", "fc.weight", "fc.bias"], ["logits"]).With("transB", AttributeValue.Of(1L)));
        g.Outputs.Add(new ValueInfo("logits", DataType.Float32, [Dim.Sym("N"), 3]));
        return g;
    }

    /// <summary>Two branches ('left', 'right', 4 channels each) read by two convs that share one weight and bias, then added.</summary>
    public static ModelGraph SharedWeights()
    {
        var (b, x) = Start("shared");
        var left = b.Relu(b.Conv(x, 4, 3, pad: 1, name: "left"));
        var right = b.Relu(b.Conv(x, 4, 1, name: "right"));
        var h = b.Conv(left, 5, 3, pad: 1, name: "head_left");
        var attributes = b.Build().FindNode("head_left")!.Attributes;
        var h2 = b.Node("Conv", [right, "head_left.weight", "head_left.bias"], attributes, "head_right");
        Head(b, b.Relu(b.Add(h, h2)));
        return b.Build();
    }

    /// <summary>
    /// Multi-head self-attention from MatMuls: x [N, 5, 16] -> q, k, v projections (MatMul + Add) reshaped to 4 heads of
    /// 4 ([0, 0, 4, 4], one shared target) -> softmax(q·kᵀ/2)·v -> merged back ([0, 0, 16]) -> output projection -> ReLU
    /// -> mean over positions -> fc.
    /// </summary>
    public static ModelGraph Attention()
    {
        var b = new GraphBuilder("attention", 3);
        var x = b.Input("input", Dim.Sym("N"), 5, 16);
        int seed = 30;
        string Projection(string v, string name)
        {
            var w = b.Parameter($"{name}.weight", TensorAssert.Random(seed++, -0.5f, 0.5f, 16, 16));
            return b.Add(b.Node("MatMul", [v, w], name: name), b.Parameter($"{name}.bias", TensorAssert.Random(seed++, -0.5f, 0.5f, 16)));
        }
        var headShape = b.Parameter("heads_shape", Tensor.From(new long[] { 0, 0, 4, 4 }, 4));
        string Perm(string v, params long[] perm) => b.Node("Transpose", [v], Attr("perm", AttributeValue.Of(perm)));
        string Heads(string v) => b.Node("Reshape", [v, headShape]);
        var q = Perm(Heads(Projection(x, "q")), 0, 2, 1, 3);
        var k = Perm(Heads(Projection(x, "k")), 0, 2, 3, 1);
        var v = Perm(Heads(Projection(x, "v")), 0, 2, 1, 3);
        var scores = b.Mul(b.Node("MatMul", [q, k], name: "scores"), b.Parameter("scale", Tensor.Scalar(0.5f)));
        var p = b.Node("Softmax", [scores], Attr("axis", AttributeValue.Of(-1L)), "softmax");
        var o = Perm(b.Node("MatMul", [p, v], name: "mix"), 0, 2, 1, 3);
        o = b.Node("Reshape", [o, b.Parameter("merge_shape", Tensor.From(new long[] { 0, 0, 16 }, 3))], name: "merge");
        var y = b.Relu(Projection(o, "out"));
        y = b.Node("ReduceMean", [y], new Dictionary<string, AttributeValue> { ["axes"] = AttributeValue.Of(new long[] { 1 }), ["keepdims"] = AttributeValue.Of(0L) }, "pool");
        b.Output(b.Linear(y, 3, name: "fc"), "logits");
        return b.Build();
    }

    /// <summary>
    /// GroupNorm as exporters write it: conv (8 channels) -> Reshape [0, 2, -1] -> InstanceNormalization (2 groups) ->
    /// Reshape [0, 8, 8, 8] -> per-channel Mul and Add -> ReLU -> conv -> head.
    /// </summary>
    public static ModelGraph GroupNorm()
    {
        var (b, x) = Start("groupnorm");
        var g = b.Conv(x, 8, 3, pad: 1, name: "g");
        var grouped = b.Node("Reshape", [g, b.Parameter("groups_shape", Tensor.From(new long[] { 0, 2, -1 }, 3))], name: "to_groups");
        var normed = b.Node("InstanceNormalization", [grouped, b.Parameter("gn.ones", Tensor.From(new[] { 1f, 1f }, 2)), b.Parameter("gn.zeros", Tensor.From(new[] { 0f, 0f }, 2))], name: "gn");
        var back = b.Node("Reshape", [normed, b.Parameter("back_shape", Tensor.From(new long[] { 0, 8, 8, 8 }, 4))], name: "from_groups");
        var y = b.Add(b.Mul(back, b.Parameter("gn.weight", TensorAssert.Random(14, 0.5f, 1.5f, 8, 1, 1))), b.Parameter("gn.bias", TensorAssert.Random(15, -0.5f, 0.5f, 8, 1, 1)));
        Head(b, b.Relu(b.Conv(b.Relu(y), 5, 1, name: "c")));
        return b.Build();
    }

    /// <summary>Random 1 x size x size images.</summary>
    public static ImageDataset Images(int count, int size, int seed = 5)
    {
        var rng = new Random(seed);
        var images = new byte[count * size * size];
        rng.NextBytes(images);
        return new ImageDataset(images, Enumerable.Range(0, count).Select(i => i % 3).ToArray(), 1, size, size, 3);
    }
}
