using Prunus.Graph.Ops;
using Prunus.Tensors;

namespace Prunus.Graph;

/// <summary>
/// Builds a <see cref="ModelGraph"/> layer by layer, inferring shapes as it goes (with every symbolic dimension taken
/// as 1) so that each layer knows its input's size. Parameters start as PyTorch initializes them, from a seeded stream.
/// </summary>
/// <example><code>
/// var b = new GraphBuilder("tiny");
/// var x = b.Input("input", Dim.Sym("N"), 1, 28, 28);
/// x = b.Relu(b.Linear(b.Flatten(x), 100));
/// b.Output(b.Linear(x, 10), "logits");
/// ModelGraph g = b.Build();
/// </code></example>
public sealed class GraphBuilder
{
    private readonly ModelGraph _graph;
    private readonly Dictionary<string, TensorInfo> _infos = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _counters = new(StringComparer.Ordinal);
    private readonly SeededRandom _rng;

    /// <summary>Starts an empty graph; <paramref name="seed"/> fixes the initial weights.</summary>
    public GraphBuilder(string name, ulong seed = 0, long opset = 17)
    {
        _graph = new ModelGraph { Name = name };
        _graph.Metadata.Opsets[""] = opset;
        _rng = new SeededRandom(seed);
    }

    /// <summary>The graph so far.</summary>
    public ModelGraph Build() => _graph;

    /// <summary>Shape of a value with symbolic dimensions taken as 1.</summary>
    public int[] ShapeOf(string value) => _infos[value].Shape;

    /// <summary>Adds a float data input; use <see cref="Dim.Sym"/> for a dynamic (batch) dimension.</summary>
    public string Input(string name, params Dim[] dims)
    {
        _graph.Inputs.Add(new ValueInfo(name, DataType.Float32, dims));
        _infos[name] = new TensorInfo(DataType.Float32, dims.Select(d => d.Value ?? 1).ToArray());
        return name;
    }

    /// <summary>Declares <paramref name="value"/> a graph output, renaming it to <paramref name="name"/> if given.</summary>
    public string Output(string value, string? name = null)
    {
        if (name is not null && name != value)
        {
            foreach (var n in _graph.Nodes)
                for (int i = 0; i < n.Outputs.Count; i++) if (n.Outputs[i] == value) n.Outputs[i] = name;
            foreach (var n in _graph.Nodes)
                for (int i = 0; i < n.Inputs.Count; i++) if (n.Inputs[i] == value) n.Inputs[i] = name;
            _infos[name] = _infos[value];
            value = name;
        }
        var info = _infos[value];
        var dims = info.Shape.Select(d => (Dim)d).ToArray();
        // The batch dimension stays symbolic in outputs when it is symbolic in the first input.
        if (dims.Length > 0 && _graph.Inputs.FirstOrDefault()?.Dims is { Length: > 0 } inDims && inDims[0].Symbol is { } sym) dims[0] = Dim.Sym(sym);
        _graph.Outputs.Add(new ValueInfo(value, info.Type, dims));
        return value;
    }

    /// <summary>Adds a named initializer.</summary>
    public string Parameter(string name, Tensor value)
    {
        _graph.Initializers[name] = value;
        _infos[name] = new TensorInfo(value.Type, value.Shape);
        return name;
    }

    /// <summary>A unique name with the given prefix: conv1, conv2, ...</summary>
    public string UniqueName(string prefix)
    {
        _counters[prefix] = _counters.GetValueOrDefault(prefix) + 1;
        return $"{prefix}{_counters[prefix]}";
    }

    /// <summary>Adds any op with one output; returns the output's name. Shapes are inferred now, so errors surface here.</summary>
    public string Node(string opType, IReadOnlyList<string> inputs, IReadOnlyDictionary<string, AttributeValue>? attributes = null, string? name = null)
        => Nodes(opType, inputs, 1, attributes, name)[0];

    /// <summary>Adds any op with <paramref name="outputs"/> outputs.</summary>
    public string[] Nodes(string opType, IReadOnlyList<string> inputs, int outputs, IReadOnlyDictionary<string, AttributeValue>? attributes = null, string? name = null)
    {
        name ??= UniqueName(opType.ToLowerInvariant());
        var outNames = Enumerable.Range(0, outputs).Select(i => outputs == 1 ? $"{name}_out" : $"{name}_out{i}").ToArray();
        var node = new Node(opType, name, inputs, outNames);
        if (attributes is not null) foreach (var (k, v) in attributes) node.Attributes[k] = v;
        var op = OpRegistry.Find("", opType) ?? throw new ModelException($"op '{opType}' is not supported by Prunus");
        var ctx = new NodeContext(node, inputs.Select(i => i.Length == 0 ? default : _infos[i]).ToArray(),
            inputs.Select(i => _graph.Initializers.GetValueOrDefault(i)).ToArray(), false, true, _graph.Metadata.Opset);
        var infos = op.InferOutputs(ctx);
        for (int i = 0; i < outputs; i++) _infos[outNames[i]] = infos[i];
        _graph.Nodes.Add(node);
        return outNames;
    }

    // ---- Layers. Weights use PyTorch's default initialization: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases
    // (kaiming_uniform with a = sqrt(5)), BatchNorm scale 1, shift 0, running mean 0, variance 1.

    /// <summary>Conv 2-D, NCHW: [N,C,H,W] -> [N,K,H',W']; weight [K, C/groups, k, k].</summary>
    public string Conv(string x, int outChannels, int kernel, int stride = 1, int pad = 0, int groups = 1, bool bias = true, string? name = null)
    {
        name ??= UniqueName("conv");
        int inChannels = ShapeOf(x)[1];
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"conv '{name}': channels {inChannels}->{outChannels} are not divisible by groups {groups}");
        int fanIn = inChannels / groups * kernel * kernel;
        var w = Parameter($"{name}.weight", Uniform(1 / MathF.Sqrt(fanIn), outChannels, inChannels / groups, kernel, kernel));
        var inputs = new List<string> { x, w };
        if (bias) inputs.Add(Parameter($"{name}.bias", Uniform(1 / MathF.Sqrt(fanIn), outChannels)));
        return Node("Conv", inputs, new Dictionary<string, AttributeValue>
        {
            ["kernel_shape"] = AttributeValue.Of(new long[] { kernel, kernel }),
            ["strides"] = AttributeValue.Of(new long[] { stride, stride }),
            ["pads"] = AttributeValue.Of(new long[] { pad, pad, pad, pad }),
            ["group"] = AttributeValue.Of((long)groups),
        }, name);
    }

    /// <summary>Fully connected: [N,F] -> [N,outFeatures] as Gemm with weight [out, in] (transB = 1), as PyTorch exports it.</summary>
    public string Linear(string x, int outFeatures, bool bias = true, string? name = null)
    {
        name ??= UniqueName("fc");
        int inFeatures = ShapeOf(x)[^1];
        var w = Parameter($"{name}.weight", Uniform(1 / MathF.Sqrt(inFeatures), outFeatures, inFeatures));
        var inputs = new List<string> { x, w };
        if (bias) inputs.Add(Parameter($"{name}.bias", Uniform(1 / MathF.Sqrt(inFeatures), outFeatures)));
        return Node("Gemm", inputs, new Dictionary<string, AttributeValue> { ["transB"] = AttributeValue.Of(1L) }, name);
    }

    /// <summary>BatchNormalization over channel dimension 1.</summary>
    public string BatchNorm(string x, float epsilon = 1e-5f, float momentum = 0.9f, string? name = null)
    {
        name ??= UniqueName("bn");
        int c = ShapeOf(x)[1];
        var inputs = new[]
        {
            x,
            Parameter($"{name}.weight", Filled(1, c)),
            Parameter($"{name}.bias", Filled(0, c)),
            Parameter($"{name}.running_mean", Filled(0, c)),
            Parameter($"{name}.running_var", Filled(1, c)),
        };
        return Node("BatchNormalization", inputs, new Dictionary<string, AttributeValue>
        {
            ["epsilon"] = AttributeValue.Of(epsilon),
            ["momentum"] = AttributeValue.Of(momentum),
        }, name);
    }

    public string Relu(string x) => Node("Relu", [x]);
    /// <summary>ReLU6, as exporters write it: Clip(x, 0, 6).</summary>
    public string Relu6(string x) => Node("Clip", [x, Parameter(UniqueName("clip_min"), Tensor.Scalar(0f)), Parameter(UniqueName("clip_max"), Tensor.Scalar(6f))]);
    public string HardSwish(string x) => Node("HardSwish", [x]);
    public string HardSigmoid(string x) => Node("HardSigmoid", [x], new Dictionary<string, AttributeValue> { ["alpha"] = AttributeValue.Of(1f / 6), ["beta"] = AttributeValue.Of(0.5f) });
    public string Sigmoid(string x) => Node("Sigmoid", [x]);
    public string Add(string a, string b) => Node("Add", [a, b]);
    public string Mul(string a, string b) => Node("Mul", [a, b]);
    public string GlobalAveragePool(string x) => Node("GlobalAveragePool", [x]);

    /// <summary>Flatten to [N, rest].</summary>
    public string Flatten(string x) => Node("Flatten", [x], new Dictionary<string, AttributeValue> { ["axis"] = AttributeValue.Of(1L) });

    /// <summary>Max pooling with a square window (stride defaults to the window).</summary>
    public string MaxPool(string x, int kernel, int? stride = null, int pad = 0) => Node("MaxPool", [x], PoolAttributes(kernel, stride ?? kernel, pad));

    /// <summary>Average pooling with a square window.</summary>
    public string AveragePool(string x, int kernel, int? stride = null, int pad = 0) => Node("AveragePool", [x], PoolAttributes(kernel, stride ?? kernel, pad));

    private static Dictionary<string, AttributeValue> PoolAttributes(int kernel, int stride, int pad) => new()
    {
        ["kernel_shape"] = AttributeValue.Of(new long[] { kernel, kernel }),
        ["strides"] = AttributeValue.Of(new long[] { stride, stride }),
        ["pads"] = AttributeValue.Of(new long[] { pad, pad, pad, pad }),
    };

    private Tensor Uniform(float bound, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        var s = t.Floats;
        for (int i = 0; i < s.Length; i++) s[i] = (2 * _rng.NextFloat() - 1) * bound;
        return t;
    }

    private static Tensor Filled(float value, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        t.Floats.Fill(value);
        return t;
    }
}
