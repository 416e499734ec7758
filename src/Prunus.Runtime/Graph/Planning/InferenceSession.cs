using Prunus.Tensors;

namespace Prunus.Graph.Planning;

/// <summary>
/// Runs a graph on tensors of any batch size: compiles and caches one plan per distinct set of input shapes.
/// Returned tensors are copies the caller owns. For allocation-free loops, take <see cref="PlanFor"/> and use it directly.
/// </summary>
public sealed class InferenceSession
{
    private readonly Dictionary<string, Plan> _plans = new(StringComparer.Ordinal);

    public ModelGraph Graph { get; }
    public PlanOptions Options { get; }

    public InferenceSession(ModelGraph graph, PlanOptions? options = null)
    {
        Graph = graph;
        Options = options ?? new PlanOptions();
        if (Options.Training) throw new ArgumentException("an inference session cannot use a training plan");
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
