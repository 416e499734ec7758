using Prunus.Graph.Passes;
using Prunus.Tensors;

namespace Prunus.Graph.Planning;

/// <summary>
/// Runs a graph on tensors of any batch size: compiles and caches one plan per distinct set of input shapes.
/// Returned tensors are copies the caller owns. For allocation-free loops, take <see cref="PlanFor"/> and use it directly.
/// Optionally the graph is optimized first by a <see cref="PassPipeline"/> (off unless one is given).
/// </summary>
public sealed class InferenceSession
{
    private readonly Dictionary<string, Plan> _plans = new(StringComparer.Ordinal);

    /// <summary>The graph the session runs: the caller's, or its optimized copy.</summary>
    public ModelGraph Graph { get; }
    public PlanOptions Options { get; }
    /// <summary>What the optimization did, when the session optimized its graph; else null.</summary>
    public PassReport? Optimization { get; }

    public InferenceSession(ModelGraph graph, PlanOptions? options = null) : this(graph, options, null) { }

    /// <summary>
    /// A session that first optimizes a copy of <paramref name="graph"/> with <paramref name="passes"/>, for example
    /// <see cref="PassPipeline.ForInference"/>; the caller's graph is untouched (later changes to it do not reach the
    /// session). Null passes run the graph as given.
    /// </summary>
    public InferenceSession(ModelGraph graph, PlanOptions? options, PassPipeline? passes)
    {
        ArgumentNullException.ThrowIfNull(graph);
        Options = options ?? new PlanOptions();
        if (Options.Training) throw new ArgumentException("an inference session cannot use a training plan");
        if (passes is null) Graph = graph;
        else
        {
            Graph = graph.Clone();
            Optimization = passes.Run(Graph);
        }
    }

    /// <summary>The plan for these input shapes (compiled on first use).</summary>
    public Plan PlanFor(IReadOnlyDictionary<string, int[]> shapes)
    {
        var key = string.Join(";", shapes.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => kv.Key + ShapeMath.Format(kv.Value)));
        if (!_plans.TryGetValue(key, out var plan)) _plans[key] = plan = Planner.Compile(Graph, shapes, Options);
        return plan;
    }

    /// <summary>Forgets compiled plans (call after changing the graph or, with constant weights, its initializers).</summary>
    public void Invalidate() => _plans.Clear();

    /// <summary>Runs on named inputs; returns every graph output by name.</summary>
    public Dictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs)
    {
        var plan = PlanFor(inputs.ToDictionary(kv => kv.Key, kv => kv.Value.Shape));
        foreach (var (name, t) in inputs)
        {
            var dst = plan.Input(name);
            if (dst.Type != t.Type) throw new DataException($"input '{name}' must be {dst.Type}, got {t.Type}");
            dst.CopyFrom(t);
        }
        plan.Run();
        return plan.OutputNames.ToDictionary(n => n, n => plan.Output(n).Clone(), StringComparer.Ordinal);
    }

    /// <summary>Runs on the first data input; returns the first output.</summary>
    public Tensor Run(Tensor input)
    {
        var first = Graph.DataInputs.FirstOrDefault() ?? throw new ModelException("the model has no data input");
        var outputs = Run(new Dictionary<string, Tensor> { [first.Name] = input });
        return outputs[Graph.Outputs[0].Name];
    }
}
