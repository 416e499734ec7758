using Prunus.Tensors;

namespace Prunus.Training;

/// <summary>The optimizers Prunus implements.</summary>
public enum OptimizerKind
{
    /// <summary>Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay.</summary>
    Sgd,
    /// <summary>Adam with L2 weight decay added to the gradient.</summary>
    Adam,
    /// <summary>Adam with decoupled weight decay (the weights shrink by lr * decay each step).</summary>
    AdamW,
}

/// <summary>
/// Updates parameters in place from their gradients. Masked (pruned) entries get no update and are held at exactly
/// zero, together with their optimizer state, so that neither momentum nor weight decay can revive them. The state
/// (per-parameter buffers and the step count) is exposed for checkpoints.
/// </summary>
public abstract class Optimizer
{
    private readonly Dictionary<string, Tensor> _state = new(StringComparer.Ordinal);
    private readonly List<Tensor>[] _stateOf;

    /// <summary>The parameters, in a fixed order.</summary>
    public IReadOnlyList<Parameter> Parameters { get; }
    /// <summary>Learning rate of the next step (the trainer sets it from the schedule before each step).</summary>
    public double LearningRate { get; set; }
    /// <summary>Weight decay coefficient (L2 in the gradient for SGD and Adam, decoupled for AdamW).</summary>
    public double WeightDecay { get; set; }
    /// <summary>Number of steps taken.</summary>
    public long StepCount { get; private set; }
    /// <summary>Which algorithm this is.</summary>
    public abstract OptimizerKind Kind { get; }

    /// <summary>Creates the optimizer over <paramref name="parameters"/>.</summary>
    protected Optimizer(IReadOnlyList<Parameter> parameters, double learningRate, double weightDecay)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var p in parameters)
            if (!names.Add(p.Name)) throw new ArgumentException($"parameter '{p.Name}' is listed twice");
        if (learningRate < 0) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "the learning rate must not be negative");
        if (weightDecay < 0) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weight decay must not be negative");
        Parameters = parameters;
        LearningRate = learningRate;
        WeightDecay = weightDecay;
        _stateOf = new List<Tensor>[parameters.Count];
        for (int i = 0; i < _stateOf.Length; i++) _stateOf[i] = [];
    }

    /// <summary>Creates an optimizer of <paramref name="kind"/>.</summary>
    public static Optimizer Create(OptimizerKind kind, IReadOnlyList<Parameter> parameters, double learningRate,
        double momentum = 0, double weightDecay = 0, bool nesterov = false, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8) => kind switch
    {
        OptimizerKind.Sgd => new Sgd(parameters, learningRate, momentum, weightDecay, nesterov),
        OptimizerKind.Adam => new Adam(parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupled: false),
        OptimizerKind.AdamW => new Adam(parameters, learningRate, beta1, beta2, epsilon, weightDecay, decoupled: true),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown optimizer"),
    };

    /// <summary>A zero state buffer for parameter <paramref name="index"/>, registered under "name/<paramref name="key"/>".</summary>
    protected Tensor AddState(int index, string key)
    {
        var p = Parameters[index];
        var t = Tensor.Zeros(DataType.Float32, (int[])p.Value.Shape.Clone());
        _state.Add($"{p.Name}/{key}", t);
        _stateOf[index].Add(t);
        return t;
    }

    /// <summary>Applies one update to every parameter from its current gradient.</summary>
    public void Step()
    {
        StepCount++;
        BeginStep();
        for (int i = 0; i < Parameters.Count; i++)
        {
            var p = Parameters[i];
            var mask = p.Mask;
            // A pruned entry's gradient is ignored, so its state stays zero and the update leaves it at zero.
            if (mask is not null) Parameter.ApplyMask(p.Gradient.Floats, mask.Floats);
            Update(i, p.Value.Floats, p.Gradient.Floats);
            if (mask is null) continue;
            Parameter.ApplyMask(p.Value.Floats, mask.Floats);
            foreach (var s in _stateOf[i]) Parameter.ApplyMask(s.Floats, mask.Floats);
        }
    }

    /// <summary>Called once per step before the parameters are updated (for per-step constants such as bias corrections).</summary>
    protected virtual void BeginStep() { }

    /// <summary>Updates the values <paramref name="w"/> of parameter <paramref name="index"/> from gradient <paramref name="g"/>.</summary>
    protected abstract void Update(int index, Span<float> w, ReadOnlySpan<float> g);

    /// <summary>The state buffers by "parameter/key" (live tensors: reading them after a step sees the new state).</summary>
    public IReadOnlyDictionary<string, Tensor> State => _state;

    /// <summary>Restores the state saved from an optimizer of the same kind over the same parameters.</summary>
    public void LoadState(IReadOnlyDictionary<string, Tensor> state, long stepCount)
    {
        foreach (var key in state.Keys)
            if (!_state.ContainsKey(key)) throw new DataException($"optimizer state '{key}' does not belong to this {Kind} optimizer");
        foreach (var (key, t) in _state)
        {
            if (!state.TryGetValue(key, out var s)) throw new DataException($"optimizer state '{key}' is missing");
            if (s.Type != DataType.Float32 || !ShapeMath.SameShape(s.Shape, t.Shape))
                throw new DataException($"optimizer state '{key}' is {s}, expected {t}");
        }
        foreach (var (key, t) in _state) t.CopyFrom(state[key]);
        StepCount = stepCount;
    }
}
