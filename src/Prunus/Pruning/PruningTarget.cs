namespace Prunus.Pruning;

/// <summary>Whether sparsity is met by each layer on its own or by one threshold across layers.</summary>
public enum PruningScope
{
    /// <summary>Every layer pruned to the target sparsity.</summary>
    Layer,
    /// <summary>One ranking across all layers (scores must be comparable across layers, as magnitudes are).</summary>
    Global,
    /// <summary>
    /// Every output row (output channel or feature) of every layer pruned to the target sparsity: weights compete only
    /// with those feeding the same output, as Wanda prescribes. Unstructured or 1xC blocks.
    /// </summary>
    Row,
}

/// <summary>What a global sparsity target counts.</summary>
public enum TargetMeasure
{
    /// <summary>Weights: sparsity is the fraction of prunable weights removed.</summary>
    Params,
    /// <summary>
    /// Multiply-adds: sparsity is the fraction of the prunable layers' FLOPs removed, each weight counting the FLOPs it
    /// takes part in (a conv weight is used at every output position, a Gemm weight once per image).
    /// </summary>
    Flops,
    /// <summary>
    /// Channel granularity only: sparsity is the fraction of the model's latency removed on the Prunus engine, predicted
    /// from each layer's measured time (<see cref="PruningRecipe.LatencyBatches"/>).
    /// </summary>
    Latency,
}

/// <summary>How much to prune, where, and in what units.</summary>
public sealed record PruningTarget
{
    /// <summary>Fraction of the prunable weights to remove, in [0, 1). Ignored by N:M, whose sparsity is fixed.</summary>
    public double Sparsity { get; init; }
    /// <summary>Per-layer or global ranking.</summary>
    public PruningScope Scope { get; init; } = PruningScope.Global;
    /// <summary>The unit removed.</summary>
    public Granularity Granularity { get; init; } = Granularity.Unstructured;
    /// <summary>
    /// Explicit sparsities by layer (node name or weight name); these layers are pruned to their own ratio and left out
    /// of the global ranking (a sensitivity analysis's allocation is applied this way).
    /// </summary>
    public IReadOnlyDictionary<string, double>? LayerSparsity { get; init; }
    /// <summary>What <see cref="Sparsity"/> counts in the global ranking.</summary>
    public TargetMeasure Measure { get; init; } = TargetMeasure.Params;
    /// <summary>
    /// With <see cref="TargetMeasure.Flops"/>: FLOPs per weight of each layer, by weight name (from
    /// <see cref="Prunus.Graph.Analysis.ModelSummary"/>); layers missing here count 1.
    /// </summary>
    public IReadOnlyDictionary<string, double>? FlopsPerWeight { get; init; }
    /// <summary>Global scope: each layer keeps at least this fraction of its weights (0: no floor).</summary>
    public double MinDensity { get; init; }

    /// <summary>Throws with a message naming the bad value.</summary>
    public void Validate()
    {
        if (Sparsity is < 0 or >= 1 || double.IsNaN(Sparsity)) throw new ArgumentOutOfRangeException(nameof(Sparsity), Sparsity, "sparsity must lie in [0, 1)");
        if (MinDensity is < 0 or > 1 || double.IsNaN(MinDensity)) throw new ArgumentOutOfRangeException(nameof(MinDensity), MinDensity, "the minimum density must lie in [0, 1]");
        ArgumentNullException.ThrowIfNull(Granularity);
        if (Measure == TargetMeasure.Latency && !Granularity.IsStructured)
            throw new ArgumentException($"a latency target removes whole channels (a smaller dense model runs faster in proportion); {Granularity} pruning keeps every layer's shape: use channel granularity, or a params or flops target");
        if (LayerSparsity is not null)
            foreach (var (name, s) in LayerSparsity)
                if (s is < 0 or >= 1 || double.IsNaN(s)) throw new ArgumentOutOfRangeException(nameof(LayerSparsity), s, $"the sparsity of layer '{name}' must lie in [0, 1)");
    }

    /// <summary>Cost of one weight of <paramref name="layer"/> under <see cref="Measure"/>.</summary>
    public double CostPerWeight(PrunableLayer layer) =>
        Measure == TargetMeasure.Flops && FlopsPerWeight?.TryGetValue(layer.WeightName, out var f) == true ? f : 1;

    /// <summary>The explicit sparsity of <paramref name="layer"/>, if one is given.</summary>
    public double? ExplicitSparsity(PrunableLayer layer) =>
        LayerSparsity is null ? null
        : LayerSparsity.TryGetValue(layer.Name, out var s) ? s
        : LayerSparsity.TryGetValue(layer.WeightName, out s) ? s : null;
}
