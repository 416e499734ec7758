using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>What an <see cref="Operator"/> sees of a node at plan time: attributes, input shapes, constant inputs.</summary>
public sealed class NodeContext
{
    public Node Node { get; }
    /// <summary>Input types and shapes; <see cref="DataType.Undefined"/> where an optional input is absent.</summary>
    public TensorInfo[] InputInfos { get; }
    /// <summary>Input values known at plan time (initializers, folded constants); null otherwise.</summary>
    public Tensor?[] Constants { get; }
    /// <summary>Output types and shapes, set by the planner after inference.</summary>
    public TensorInfo[] OutputInfos { get; set; } = [];
    /// <summary>Whether the plan trains (kernels then keep what backward needs).</summary>
    public bool Training { get; }
    /// <summary>Whether constant weights may be pre-packed or transformed at plan time.</summary>
    public bool ConstantWeights { get; }
    /// <summary>Default-domain opset version of the model.</summary>
    public long Opset { get; }

    public NodeContext(Node node, TensorInfo[] inputInfos, Tensor?[] constants, bool training, bool constantWeights, long opset)
    {
        Node = node;
        InputInfos = inputInfos;
        Constants = constants;
        Training = training;
        ConstantWeights = constantWeights;
        Opset = opset;
    }

    public int InputCount => InputInfos.Length;
    public bool HasInput(int i) => i < InputInfos.Length && InputInfos[i].Type != DataType.Undefined;
    public TensorInfo Input(int i) => HasInput(i) ? InputInfos[i] : throw Error($"input {i} is required");
    public int[] Shape(int i) => Input(i).Shape;
    public Tensor? Constant(int i) => i < Constants.Length ? Constants[i] : null;

    /// <summary>Input <paramref name="i"/>'s value, which must be known at plan time (e.g. Reshape's shape).</summary>
    public Tensor RequireConstant(int i) => Constant(i)
        ?? throw Error($"input {i} ('{Node.InputOrNull(i)}') must be a constant or computable from shapes at plan time");

    public bool HasAttribute(string name) => Node.Attributes.ContainsKey(name);
    public long Int(string name, long fallback) => Node.Attributes.TryGetValue(name, out var a) ? a.Int : fallback;
    public float Float(string name, float fallback) => Node.Attributes.TryGetValue(name, out var a) ? a.Float : fallback;
    public string String(string name, string fallback) => Node.Attributes.TryGetValue(name, out var a) ? a.String : fallback;
    public long[]? Ints(string name) => Node.Attributes.TryGetValue(name, out var a) ? a.Ints : null;
    public float[]? Floats(string name) => Node.Attributes.TryGetValue(name, out var a) ? a.Floats : null;
    public Tensor? TensorAttribute(string name) => Node.Attributes.TryGetValue(name, out var a) ? a.Tensor : null;

    /// <summary>An error that names this node, for bad attributes or shapes.</summary>
    public ModelException Error(string message) => new($"{Node.OpType} node '{Node.Name}': {message}");

    /// <summary>Throws unless input <paramref name="i"/> has <paramref name="type"/>.</summary>
    public void ExpectType(int i, DataType type)
    {
        if (Input(i).Type != type) throw Error($"input {i} must be {type}, got {Input(i).Type}");
    }
}
