using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Tensors;

namespace Prunus.Tests.Support;

/// <summary>
/// A single-node graph for op tests: inputs are graph inputs (varying) or constants (initializers), attributes as given.
/// </summary>
public sealed class OpCase
{
    private readonly List<(string Name, Tensor Value, bool Constant)> _inputs = [];
    private readonly Dictionary<string, AttributeValue> _attributes = new();
    public string OpType { get; }
    public int OutputCount { get; private set; } = 1;
    public long Opset { get; private set; } = 17;
    /// <summary>The node's domain ("" is the ONNX default domain).</summary>
    public string Domain { get; private set; } = "";

    public OpCase(string opType) => OpType = opType;

    /// <summary>Puts the node in <paramref name="domain"/> (imported by the graph at version 1).</summary>
    public OpCase InDomain(string domain) { Domain = domain; return this; }

    /// <summary>A varying input (a graph input; gradient-checked if float).</summary>
    public OpCase Input(Tensor t) { _inputs.Add(($"in{_inputs.Count}", t, false)); return this; }
    /// <summary>A constant input (an initializer), such as a shape or axes.</summary>
    public OpCase Const(Tensor t) { _inputs.Add(($"in{_inputs.Count}", t, true)); return this; }
    /// <summary>An absent optional input.</summary>
    public OpCase Absent() { _inputs.Add(("", Tensor.Zeros(0), true)); return this; }
    public OpCase Attr(string name, AttributeValue v) { _attributes[name] = v; return this; }
    public OpCase Attr(string name, long v) => Attr(name, AttributeValue.Of(v));
    public OpCase Attr(string name, float v) => Attr(name, AttributeValue.Of(v));
    public OpCase Attr(string name, string v) => Attr(name, AttributeValue.Of(v));
    public OpCase Attr(string name, params long[] v) => Attr(name, AttributeValue.Of(v));
    public OpCase Outputs(int n) { OutputCount = n; return this; }
    public OpCase WithOpset(long opset) { Opset = opset; return this; }

    public IReadOnlyList<(string Name, Tensor Value, bool Constant)> Inputs => _inputs;

    public ModelGraph Graph()
    {
        var g = new ModelGraph { Name = OpType + "_test" };
        g.Metadata.Opsets[""] = Opset;
        var node = new Node(OpType, "node", _inputs.Select(i => i.Name), Enumerable.Range(0, OutputCount).Select(i => $"out{i}"));
        foreach (var (k, v) in _attributes) node.Attributes[k] = v;
        node.Domain = Domain;
        if (Domain.Length > 0) g.Metadata.Opsets[Domain] = 1;
        g.Nodes.Add(node);
        foreach (var (name, value, constant) in _inputs)
        {
            if (name.Length == 0) continue;
            if (constant) g.Initializers[name] = value;
            else g.Inputs.Add(new ValueInfo(name, value.Type, value.Shape.Select(d => (Dim)d).ToArray()));
        }
        for (int i = 0; i < OutputCount; i++) g.Outputs.Add(new ValueInfo($"out{i}", DataType.Float32, null));
        return g;
    }

    public Dictionary<string, int[]> Shapes() => _inputs.Where(i => !i.Constant).ToDictionary(i => i.Name, i => i.Value.Shape);

    /// <summary>Compiles a plan, copies the varying inputs in.</summary>
    public Plan Compile(PlanOptions? options = null)
    {
        var plan = Planner.Compile(Graph(), Shapes(), options ?? new PlanOptions());
        foreach (var (name, value, constant) in _inputs)
            if (!constant && name.Length > 0) plan.Input(name).CopyFrom(value);
        return plan;
    }

    /// <summary>Runs the node in inference mode and returns copies of its outputs.</summary>
    public Tensor[] Run(bool training = false)
    {
        var plan = Compile(new PlanOptions { Training = training, Pool = TestPools.Two });
        plan.Run();
        return Enumerable.Range(0, OutputCount).Select(i => plan.Output(i).Clone()).ToArray();
    }

    /// <summary>Runs and returns output 0.</summary>
    public Tensor Run1(bool training = false) => Run(training)[0];
}

/// <summary>Shared worker pools for tests.</summary>
public static class TestPools
{
    public static readonly Prunus.Threading.WorkerPool One = new(1);
    public static readonly Prunus.Threading.WorkerPool Two = new(2);
}
