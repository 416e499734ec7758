using Prunus.Graph.Ops;
using Prunus.Tensors;

namespace Prunus.Graph.Planning;

/// <summary>One node as the plan runs it.</summary>
internal sealed record PlanStep(Node Node, Operator Op, Kernel Kernel, bool IsView);

/// <summary>
/// A graph compiled for fixed input shapes: nodes in topological order, a kernel per node, every tensor bound to a
/// buffer. Fill <see cref="Input(string)"/>, call <see cref="Run"/>, read <see cref="Output(string)"/>; nothing is allocated per run.
/// A training plan also runs <see cref="Backward"/> from gradients written into <see cref="OutputGradient"/>.
/// </summary>
public sealed class Plan
{
    internal PlanStep[] Steps { get; }
    private readonly Dictionary<string, Tensor> _values;
    private readonly Dictionary<string, Tensor> _grads;
    private readonly Tensor[] _gradsToZero;
    private readonly bool[] _hasOutputGrad;

    /// <summary>The graph this plan was compiled from.</summary>
    public ModelGraph Graph { get; }
    /// <summary>Options it was compiled with.</summary>
    public PlanOptions Options { get; }
    /// <summary>Kernel context: pool, mode, random stream.</summary>
    public RunContext Context { get; }
    /// <summary>Names of graph data inputs, in order.</summary>
    public IReadOnlyList<string> InputNames { get; }
    /// <summary>Names of graph outputs, in order.</summary>
    public IReadOnlyList<string> OutputNames { get; }
    /// <summary>Trainable initializers that receive gradients (training plans only).</summary>
    public IReadOnlyList<string> Parameters { get; }
    /// <summary>Inferred type and shape of every value.</summary>
    public IReadOnlyDictionary<string, TensorInfo> Infos { get; }
    /// <summary>Number of nodes that run (the rest were folded to constants or are unused).</summary>
    public int StepCount => Steps.Length;
    /// <summary>Total floats held in activation buffers (a measure of the plan's memory).</summary>
    public long ActivationBytes { get; }

    internal Plan(ModelGraph graph, PlanOptions options, RunContext context, PlanStep[] steps,
        Dictionary<string, Tensor> values, Dictionary<string, Tensor> grads, IReadOnlyList<string> parameters,
        IReadOnlyDictionary<string, TensorInfo> infos, long activationBytes)
    {
        Graph = graph;
        Options = options;
        Context = context;
        Steps = steps;
        _values = values;
        _grads = grads;
        Parameters = parameters;
        Infos = infos;
        ActivationBytes = activationBytes;
        InputNames = graph.DataInputs.Select(i => i.Name).ToList();
        OutputNames = graph.Outputs.Select(o => o.Name).ToList();
        var seeds = new HashSet<string>(OutputNames, StringComparer.Ordinal);
        _gradsToZero = grads.Where(kv => !seeds.Contains(kv.Key)).Select(kv => kv.Value).ToArray();
        _hasOutputGrad = steps.Select(s => s.Kernel.OutputGrads.Any(g => g is not null)).ToArray();
    }

    /// <summary>The buffer of graph input <paramref name="name"/>: write the input here before <see cref="Run"/>.</summary>
    public Tensor Input(string name) => InputNames.Contains(name) ? _values[name]
        : throw new ArgumentException($"'{name}' is not an input of the model; inputs: {string.Join(", ", InputNames)}");

    /// <summary>The buffer of graph input number <paramref name="index"/>.</summary>
    public Tensor Input(int index) => _values[InputNames[index]];

    /// <summary>The buffer of graph output <paramref name="name"/>, valid after <see cref="Run"/>.</summary>
    public Tensor Output(string name) => _values.TryGetValue(name, out var t) ? t
        : throw new ArgumentException($"'{name}' is not an output or kept value of the plan");

    /// <summary>The buffer of graph output number <paramref name="index"/>.</summary>
    public Tensor Output(int index) => _values[OutputNames[index]];

    /// <summary>Any value the plan holds (outputs, kept values, constants), or null.</summary>
    public Tensor? Value(string name) => _values.GetValueOrDefault(name);

    /// <summary>Runs every step forward.</summary>
    public void Run()
    {
        var ctx = Context;
        foreach (var step in Steps)
            if (!step.IsView) step.Kernel.Forward(ctx);
    }

    /// <summary>
    /// The gradient buffer of an output (the seed: write dLoss/dOutput here before <see cref="Backward"/>), of a
    /// parameter or of an input named in <see cref="PlanOptions.InputGradients"/>.
    /// </summary>
    public Tensor Gradient(string name) => _grads.TryGetValue(name, out var g) ? g
        : throw new ArgumentException($"the plan computes no gradient for '{name}'");

    /// <summary>The seed gradient buffer of output number <paramref name="index"/>.</summary>
    public Tensor OutputGradient(int index = 0) => Gradient(OutputNames[index]);

    /// <summary>Back-propagates from the output gradients into every parameter and requested input gradient.</summary>
    public void Backward()
    {
        if (_grads.Count == 0) throw new InvalidOperationException("this plan was not compiled for gradients");
        foreach (var g in _gradsToZero) g.Clear();
        var ctx = Context;
        for (int i = Steps.Length - 1; i >= 0; i--)
            if (_hasOutputGrad[i]) Steps[i].Kernel.Backward(ctx);
    }

    /// <summary>Backward with each step's work handed to <paramref name="run"/> (step index, action), for profiling.</summary>
    internal void BackwardSteps(Action<int, Action> run)
    {
        if (_grads.Count == 0) throw new InvalidOperationException("this plan was not compiled for gradients");
        foreach (var g in _gradsToZero) g.Clear();
        for (int i = Steps.Length - 1; i >= 0; i--)
        {
            var k = Steps[i].Kernel;
            if (_hasOutputGrad[i]) run(i, () => k.Backward(Context));
        }
    }

    /// <summary>For profiles: each running node with the algorithm its kernel chose.</summary>
    public IEnumerable<(Node Node, string Algorithm)> Describe() => Steps.Select(s => (s.Node, s.IsView ? "view" : s.Kernel.Algorithm));

    /// <summary>Runs steps one at a time, calling <paramref name="after"/> after each (profiling, activation capture).</summary>
    public void RunStepwise(Action<Node, Kernel> after)
    {
        foreach (var step in Steps)
        {
            if (!step.IsView) step.Kernel.Forward(Context);
            after(step.Node, step.Kernel);
        }
    }
}
