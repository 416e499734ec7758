using Prunus.Graph.Planning;

namespace Prunus.Graph.Passes;

/// <summary>What a <see cref="PassPipeline"/> run did.</summary>
/// <param name="Rewrites">Rewrites made by each pass, by pass name, summed over the rounds.</param>
/// <param name="Rounds">Rounds run (a round applies every pass once; the last round changed nothing unless the limit was hit).</param>
/// <param name="NodesBefore">Node count before.</param>
/// <param name="NodesAfter">Node count after.</param>
/// <param name="InitializersBefore">Initializer count before.</param>
/// <param name="InitializersAfter">Initializer count after.</param>
public sealed record PassReport(IReadOnlyDictionary<string, int> Rewrites, int Rounds, int NodesBefore, int NodesAfter,
    int InitializersBefore, int InitializersAfter)
{
    /// <summary>Whether any pass changed the graph.</summary>
    public bool Changed => Rewrites.Values.Any(r => r > 0);

    /// <inheritdoc/>
    public override string ToString() =>
        $"{NodesBefore} -> {NodesAfter} nodes, {InitializersBefore} -> {InitializersAfter} initializers in {Rounds} round(s); " +
        string.Join(", ", Rewrites.Where(kv => kv.Value > 0).Select(kv => $"{kv.Key} {kv.Value}"));
}

/// <summary>
/// Runs graph passes over and over until none changes anything (a fixed point). Every technique of Prunus is a pass
/// over the graph; this is how they are combined.
/// </summary>
/// <remarks>
/// <para>Two ready-made pipelines:</para>
/// <list type="bullet">
/// <item><see cref="ForExport"/>: constant folding, dead-node and unused-initializer removal, Identity/Dropout/no-op
/// removal, BatchNormalization folding into Conv/Gemm/MatMul, per-channel constant folding into biases, and the
/// LayerNormalization and Gelu fusions when the model's opset has those ops. The result is standard ONNX.</item>
/// <item><see cref="ForInference"/>: all of the above plus fusion into Prunus's own ops (domain ai.prunus): activations
/// and residual Adds into FusedConv, activations into FusedGemm, bias and activations into FusedMatMul (see
/// <see cref="ActivationFusionPass"/>), LayerNormalization/Gelu fusion into that domain for older opsets, and the lowering
/// of quantized (QDQ) patterns to integer ops (<see cref="QuantizationLoweringPass"/>) with 2x2 max pools fused into
/// the integer convolutions below them (<see cref="QuantizedPoolFusionPass"/>). The result runs on Prunus (and is
/// written to ONNX with the ai.prunus domain, which other runtimes do not know).</item>
/// </list>
/// <para>Both assume inference: Dropout is removed and BatchNormalization's running statistics are folded in, so train
/// first and optimize after. Usage:</para>
/// <code>
/// var report = PassPipeline.ForInference.Run(graph);          // in place
/// var optimized = PassPipeline.ForExport.Optimize(graph);     // a copy; graph is untouched
/// var session = new InferenceSession(graph, new PlanOptions(), PassPipeline.ForInference); // optimizes a copy first
/// </code>
/// </remarks>
public sealed class PassPipeline
{
    /// <summary>The passes, in the order each round applies them.</summary>
    public IReadOnlyList<IGraphPass> Passes { get; }

    /// <summary>Most rounds to run before stopping (a guard against passes that undo each other).</summary>
    public int MaxRounds { get; init; } = 16;

    /// <summary>A pipeline of the given passes.</summary>
    public PassPipeline(IEnumerable<IGraphPass> passes)
    {
        ArgumentNullException.ThrowIfNull(passes);
        Passes = passes.ToList();
    }

    /// <summary>Passes whose result is standard ONNX (see the remarks).</summary>
    public static PassPipeline ForExport => new(Standard(allowInternalOps: false));

    /// <summary>Every pass, including fusions into Prunus's internal ops (see the remarks).</summary>
    public static PassPipeline ForInference => new([.. Standard(allowInternalOps: true), new QuantizationLoweringPass(), new QuantizedPoolFusionPass(), new ActivationFusionPass()]);

    private static IGraphPass[] Standard(bool allowInternalOps) =>
    [
        new ConstantFoldingPass(),
        new IdentityRemovalPass(),
        new NoOpRemovalPass(),
        new BatchNormFoldingPass(),
        new BiasFoldingPass(),
        new LayerNormFusionPass(allowInternalOps),
        new GeluFusionPass(allowInternalOps),
        new DeadNodeRemovalPass(),
        new UnusedInitializerRemovalPass(),
    ];

    /// <summary>Only the passes that keep the graph standard ONNX.</summary>
    public PassPipeline ExportSafeOnly() => new(Passes.Where(p => p.ExportSafe)) { MaxRounds = MaxRounds };

    /// <summary>Optimizes <paramref name="graph"/> in place; returns what was done.</summary>
    public PassReport Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        // Fail early, with the validator's message, on graphs no pass could reason about.
        GraphValidation.TopologicalOrder(graph);
        int nodesBefore = graph.Nodes.Count, initializersBefore = graph.Initializers.Count;
        var rewrites = Passes.ToDictionary(p => p.Name, _ => 0, StringComparer.Ordinal);
        int rounds = 0;
        bool changed = true;
        while (changed && rounds < MaxRounds)
        {
            changed = false;
            rounds++;
            foreach (var pass in Passes)
            {
                int n = pass.Apply(graph);
                rewrites[pass.Name] += n;
                changed |= n > 0;
            }
        }
        DropStaleValueInfos(graph);
        return new PassReport(rewrites, rounds, nodesBefore, graph.Nodes.Count, initializersBefore, graph.Initializers.Count);
    }

    /// <summary>A copy of <paramref name="graph"/> optimized by this pipeline; the original is untouched.</summary>
    public ModelGraph Optimize(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var copy = graph.Clone();
        Run(copy);
        return copy;
    }

    /// <summary>Declared types of values that no longer exist (folded, fused or renamed away) would mislead an export.</summary>
    private static void DropStaleValueInfos(ModelGraph graph)
    {
        var defined = new HashSet<string>(graph.Nodes.SelectMany(n => n.Outputs), StringComparer.Ordinal);
        defined.UnionWith(graph.Inputs.Select(i => i.Name));
        defined.UnionWith(graph.Initializers.Keys);
        graph.ValueInfos.RemoveAll(v => !defined.Contains(v.Name));
    }
}
