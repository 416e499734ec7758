using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Analysis;
using Prunus.Graph.Planning;
using Prunus.Pruning.Criteria;
using Prunus.Pruning.Obs;
using Prunus.Pruning.Structured;
using Prunus.Pruning.Schedules;
using Prunus.Tensors;
using Prunus.Threading;
using Prunus.Training;

namespace Prunus.Pruning;

/// <summary>
/// Runs a <see cref="PruningRecipe"/> with masks (unstructured, N:M, blocks) on a graph, in place: scoring (with
/// calibration when the criterion needs data), the schedule, fine-tuning with the masks held fixed and, if asked,
/// distillation from the unpruned model. The result's masks are made permanent: the graph's pruned weights are zeros.
/// </summary>
public sealed class PruningRunner
{
    private readonly PruningRecipe _recipe;
    private readonly ImageDataset? _train;
    private readonly Dictionary<ModelGraph, IReadOnlyList<LayerTimes>> _layerTimes = new(ReferenceEqualityComparer.Instance);

    /// <summary>Status lines (phase changes, pruning events).</summary>
    public Action<string>? Log { get; set; }
    /// <summary>Training progress of each fine-tuning phase.</summary>
    public Action<string, TrainingProgress>? TrainingProgress { get; set; }

    /// <summary>A runner of <paramref name="recipe"/> that fine-tunes on <paramref name="train"/> (needed only when training or calibrating).</summary>
    public PruningRunner(PruningRecipe recipe, ImageDataset? train)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        recipe.Validate();
        if ((recipe.Epochs > 0 || NeedsData(recipe)) && train is null)
            throw new ArgumentException("this recipe trains or calibrates: give training data");
        _recipe = recipe;
        _train = train;
    }

    /// <summary>Whether the recipe reads training images before any fine-tuning (calibration, OBS, BatchNorm recalibration).</summary>
    public static bool NeedsData(PruningRecipe recipe) =>
        recipe.Obs is not null || recipe.Importance.Needs != CalibrationNeeds.None
        || recipe.Target.Granularity.IsStructured && recipe.RecalibrationBatches > 0;

    private CalibrationOptions CalibrationOptions => new()
    {
        Images = Math.Min(_recipe.CalibrationImages, _train!.Count),
        Seed = _recipe.Training.Seed,
        Pool = _recipe.Training.Pool,
    };

    /// <summary>Prunes <paramref name="graph"/> in place with masks and returns them (made permanent).</summary>
    public PruningMasks Run(ModelGraph graph)
    {
        if (_recipe.Target.Granularity.IsStructured)
            throw new InvalidOperationException("channel pruning makes a new, smaller graph: call RunStructured");
        var layers = PrunableLayers.Find(graph, _recipe.Ignore);
        if (layers.Count == 0) throw new ModelException($"model '{graph.Name}' has no prunable layers (Conv, Gemm or MatMul with a constant float weight)");
        var teacher = _recipe.Distill ? graph.Clone() : null;
        var masks = _recipe.Schedule switch
        {
            PruningSchedule.OneShot => OneShot(graph, layers, teacher),
            PruningSchedule.Iterative => Iterative(graph, layers, teacher),
            PruningSchedule.Gradual => Gradual(graph, layers, teacher),
            PruningSchedule.Lottery => Lottery(graph, layers, teacher),
            _ => throw new ArgumentOutOfRangeException(nameof(_recipe.Schedule)),
        };
        masks.Apply(); // training keeps masked weights at zero already; this makes it exact whatever happened
        masks.MakePermanent();
        return masks;
    }

    private PruningMasks PruneNow(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, double sparsity, PruningMasks? previous)
    {
        var target = _recipe.Target with { Sparsity = sparsity };
        PruningMasks masks;
        if (_recipe.Obs is { } obs)
        {
            Log?.Invoke($"OBS reconstruction, layer by layer, on {CalibrationOptions.Images} calibration images");
            masks = SparseGpt.Prune(graph, layers, _train!, target, obs with { Calibration = CalibrationOptions });
        }
        else masks = Pruner.Prune(graph, layers, _recipe.Importance, target, Statistics(graph, layers), previous);
        Log?.Invoke($"pruned to {masks.Sparsity():P1} sparsity ({(_recipe.Obs is null ? _recipe.Importance.Name : "obs")}, {_recipe.Target.Granularity}, {_recipe.Target.Scope.ToString().ToLowerInvariant()} scope)");
        return masks;
    }

    private IReadOnlyDictionary<string, LayerStatistics>? Statistics(ModelGraph graph, IReadOnlyList<PrunableLayer> layers)
    {
        if (_recipe.Importance.Needs == CalibrationNeeds.None) return null;
        Log?.Invoke($"calibrating {_recipe.Importance.Name} on {CalibrationOptions.Images} images");
        return Calibration.Collect(graph, layers, _train!, _recipe.Importance.Needs, CalibrationOptions);
    }

    /// <summary>
    /// Channel pruning: removes whole channels of <paramref name="graph"/>'s dependency groups to the recipe's target
    /// (a fraction of channels, parameters or FLOPs), recomputes BatchNorm statistics on training images, fine-tunes for
    /// the recipe's epochs (distilling from the input model if asked) and returns the new, smaller graph with the
    /// surgery's report. The iterative schedule does this in rounds, each removing the same fraction of what the last
    /// one left (<see cref="RoundSparsity"/>) and fine-tuning its share of the epochs, so the model adapts between
    /// cuts. <paramref name="graph"/> itself is not changed.
    /// </summary>
    public StructuredPruningResult RunStructured(ModelGraph graph)
    {
        if (!_recipe.Target.Granularity.IsStructured) throw new InvalidOperationException("RunStructured is for channel granularity");
        int rounds = _recipe.Schedule == PruningSchedule.Iterative ? _recipe.Rounds : 1;
        var teacher = _recipe.Distill ? graph : null;
        var target = _recipe.Target.Measure switch
        {
            TargetMeasure.Flops => ChannelTarget.Flops,
            TargetMeasure.Latency => ChannelTarget.Latency,
            _ => ChannelTarget.Parameters,
        };
        // Later rounds size their cut against the input model's cost, measured once.
        double inputCost = rounds > 1 ? Cost(graph) : 0;
        double Cost(ModelGraph g) => target switch
        {
            ChannelTarget.Flops => ModelSummary.Of(g).Flops,
            // Summed layer times relative to the input model's, added over the batch sizes.
            ChannelTarget.Latency => LayerTimes(g).Zip(LayerTimes(graph), (now, input) => now.NodeMs.Values.Sum() / input.NodeMs.Values.Sum()).Sum(),
            _ => ModelSummary.Of(g).Parameters,
        };
        var current = graph;
        StructuredPruningResult? firstRound = null, result = null;
        for (int r = 1; r <= rounds; r++)
        {
            // The fraction of the current model to remove so that the input model has lost RoundSparsity(r) in all.
            double keepOfInput = 1 - RoundSparsity(_recipe.Target.Sparsity, r, rounds);
            double amount = r == 1 ? 1 - keepOfInput : Math.Max(0, 1 - keepOfInput * inputCost / Cost(current));
            result = PruneChannelsOnce(current, target, amount, rounds > 1 ? $"round {r}/{rounds}: " : "");
            firstRound ??= result;
            int epochs = EpochsOfRound(r, rounds);
            if (epochs > 0) FineTune(result.Graph, null, epochs, teacher, rounds > 1 ? $"round {r}/{rounds}" : "fine-tune");
            current = result.Graph;
        }
        if (rounds == 1) return result!;
        // One report from the input model to the last round's: groups matched by their root producer, whose name survives surgery.
        var last = result!.Report;
        var after = last.Groups.ToDictionary(g => g.Root, g => g.ChannelsAfter, StringComparer.Ordinal);
        var groups = firstRound!.Report.Groups.Select(g => g with { ChannelsAfter = after.GetValueOrDefault(g.Root, g.ChannelsAfter) }).ToList();
        return result with
        {
            Report = new StructuredPruningReport(groups, firstRound.Report.ParametersBefore, last.ParametersAfter,
                firstRound.Report.FlopsBefore, last.FlopsAfter, last.Batch),
        };
    }

    /// <summary>
    /// The layer times of <paramref name="graph"/> at each of the recipe's latency batch sizes, measured once per graph
    /// (a latency target reads the input model's in every round).
    /// </summary>
    private IReadOnlyList<LayerTimes> LayerTimes(ModelGraph graph)
    {
        if (_layerTimes.TryGetValue(graph, out var known)) return known;
        var pool = _recipe.Training.Pool ?? WorkerPool.Default;
        var times = new List<LayerTimes>();
        foreach (var batch in _recipe.LatencyBatches)
        {
            Log?.Invoke($"timing each layer at batch {batch}");
            times.Add(new LayerTimes(batch, PlanProfiler.NodeTimes(graph, batch, pool)));
        }
        return _layerTimes[graph] = times;
    }

    /// <summary>One channel-pruning step on <paramref name="graph"/> (removing <paramref name="amount"/> of it), then BatchNorm recalibration.</summary>
    private StructuredPruningResult PruneChannelsOnce(ModelGraph graph, ChannelTarget target, double amount, string prefix)
    {
        var importance = _recipe.ChannelImportance;
        if (importance is null)
        {
            var layers = PrunableLayers.Find(graph, _recipe.Ignore);
            importance = new GroupImportance(_recipe.Importance, Statistics(graph, layers));
        }
        var options = new ChannelPruningOptions
        {
            Target = target,
            Amount = amount,
            RoundTo = _recipe.RoundTo,
            Ignore = _recipe.Ignore,
            GroupAmounts = _recipe.Target.LayerSparsity, // per-group fractions from a channel sensitivity analysis
            Latency = target == ChannelTarget.Latency ? LayerTimes(graph) : null,
        };
        var analysis = ChannelDependencies.Find(graph);
        if (options.GroupAmounts is { Count: > 0 } amounts && options.Amount > 0) options = options with { GroupAmounts = MeetTarget(analysis, importance, options, amounts) };
        var result = ChannelPruning.Apply(analysis, ChannelPruning.Select(analysis, importance, options));
        var report = result.Report;
        Log?.Invoke($"{prefix}removed {result.Selection.Total} channels in {report.Groups.Count(g => g.ChannelsAfter < g.ChannelsBefore)} groups ({importance.Name}): " +
            $"parameters -{report.ParametersRemoved:P1}, FLOPs -{report.FlopsRemoved:P1}");
        foreach (var g in report.Groups.Where(g => !g.Prunable))
            Log?.Invoke($"left unpruned: group at '{g.Root}': {g.Reason}");
        if (_recipe.RecalibrationBatches > 0 && _train is not null)
        {
            int n = BatchNormRecalibration.Run(result.Graph, _train, _recipe.RecalibrationBatches, _recipe.Training.BatchSize, _recipe.Training.Pool);
            if (n > 0) Log?.Invoke($"recomputed the statistics of {n} BatchNormalization layers on {_recipe.RecalibrationBatches} batches");
        }
        return result;
    }

    private PruningMasks OneShot(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, ModelGraph? teacher)
    {
        var masks = PruneNow(graph, layers, _recipe.Target.Sparsity, null);
        if (_recipe.Epochs > 0) FineTune(graph, masks, _recipe.Epochs, teacher, "fine-tune");
        return masks;
    }

    /// <summary>Sparsity after round <paramref name="round"/> of <paramref name="rounds"/>: each round removes the same fraction of what survives.</summary>
    public static double RoundSparsity(double final, int round, int rounds) => 1 - Math.Pow(1 - final, (double)round / rounds);

    private PruningMasks Iterative(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, ModelGraph? teacher)
    {
        PruningMasks? masks = null;
        int rounds = _recipe.Rounds;
        for (int r = 1; r <= rounds; r++)
        {
            // N:M has one sparsity: iterating it would repeat the same round.
            double s = _recipe.Target.Granularity is NOfM ? _recipe.Target.Sparsity : RoundSparsity(_recipe.Target.Sparsity, r, rounds);
            masks = PruneNow(graph, layers, s, masks);
            int epochs = EpochsOfRound(r, rounds);
            if (epochs > 0) FineTune(graph, masks, epochs, teacher, $"round {r}/{rounds}");
        }
        return masks!;
    }

    // Epochs shared among rounds, the first rounds taking the remainder.
    private int EpochsOfRound(int round, int rounds) => _recipe.Epochs / rounds + (round <= _recipe.Epochs % rounds ? 1 : 0);

    private PruningMasks Gradual(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, ModelGraph? teacher)
    {
        int stepsPerEpoch = StepsPerEpoch();
        long total = (long)stepsPerEpoch * _recipe.Epochs;
        long end = Math.Max(1, (long)Math.Round(total * _recipe.GradualEndFraction));
        var gradual = new GradualPruning(graph, layers, _recipe.Importance, _recipe.Target, 0, 0, end, _recipe.GradualFrequency)
        {
            Pruned = (step, s) => Log?.Invoke($"step {step}: sparsity {s:P1}"),
        };
        FineTune(graph, null, _recipe.Epochs, teacher, "gradual", gradual);
        return gradual.Masks ?? throw new InvalidOperationException("the gradual schedule never pruned");
    }

    private PruningMasks Lottery(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, ModelGraph? teacher)
    {
        int rounds = _recipe.Rounds, phases = rounds + 1;
        Dictionary<string, Tensor>? rewind = _recipe.RewindSteps == 0 ? Snapshot(graph) : null;
        PruningMasks? masks = null;
        for (int r = 1; r <= rounds; r++)
        {
            var saver = rewind is null ? new RewindPoint(graph, _recipe.RewindSteps) : null;
            FineTune(graph, masks, EpochsOf(r, phases), teacher, $"lottery train {r}/{phases}", saver is null ? [] : [saver]);
            rewind ??= saver!.Weights ?? throw new ArgumentException(
                $"the rewinding point ({_recipe.RewindSteps} steps) lies beyond the first round's training");
            masks = PruneNow(graph, layers, RoundSparsity(_recipe.Target.Sparsity, r, rounds), masks);
            // Survivors go back to their values at the rewinding point; everything else (biases, BatchNorm) too.
            foreach (var (name, t) in rewind) graph.Initializers[name].CopyFrom(t);
            masks.Apply();
            Log?.Invoke($"rewound the surviving weights to the rewinding point");
        }
        FineTune(graph, masks, EpochsOf(phases, phases), teacher, $"lottery train {phases}/{phases}");
        return masks!;
    }

    private int EpochsOf(int phase, int phases) => _recipe.Epochs / phases + (phase <= _recipe.Epochs % phases ? 1 : 0);

    private static Dictionary<string, Tensor> Snapshot(ModelGraph graph) =>
        graph.Initializers.Where(kv => kv.Value.Type == DataType.Float32).ToDictionary(kv => kv.Key, kv => kv.Value.Clone(), StringComparer.Ordinal);

    /// <summary>Saves the weights once the trainer has completed a given number of steps.</summary>
    private sealed class RewindPoint(ModelGraph graph, long steps) : ITrainingCallback
    {
        public Dictionary<string, Tensor>? Weights { get; private set; }

        public void OnStepStart(Trainer trainer)
        {
            if (Weights is null && trainer.GlobalStep == steps) Weights = Snapshot(graph);
        }
    }

    /// <summary>
    /// Scales per-group fractions (from a sensitivity allocation, which adds each group's cost as if alone) by one factor
    /// so that together they remove the target's fraction of parameters or FLOPs: groups interact, since the channels a
    /// group loses also remove its consumers' input slices, which another group's cost counts too.
    /// </summary>
    private static Dictionary<string, double> MeetTarget(ChannelAnalysis analysis, IChannelImportance importance, ChannelPruningOptions options,
        IReadOnlyDictionary<string, double> amounts)
    {
        var before = ChannelPruning.Estimate(analysis, new ChannelSelection());
        double Removed(double factor)
        {
            var scaled = amounts.ToDictionary(kv => kv.Key, kv => Math.Min(options.MaxGroupAmount, kv.Value * factor));
            var after = ChannelPruning.Estimate(analysis, ChannelPruning.Select(analysis, importance, options with { Amount = 0, GroupAmounts = scaled }));
            return options.Target == ChannelTarget.Flops ? 1 - (double)after.Flops / before.Flops : 1 - (double)after.Parameters / before.Parameters;
        }
        double lo = 0, hi = 1;
        while (Removed(hi) < options.Amount && hi < 64) hi *= 2;
        for (int i = 0; i < 30; i++)
        {
            double mid = (lo + hi) / 2;
            if (Removed(mid) < options.Amount) lo = mid; else hi = mid;
        }
        return amounts.ToDictionary(kv => kv.Key, kv => Math.Min(options.MaxGroupAmount, kv.Value * hi));
    }

    private int StepsPerEpoch()
    {
        var t = _recipe.Training;
        return t.DropLast ? _train!.Count / t.BatchSize : (_train!.Count + t.BatchSize - 1) / t.BatchSize;
    }

    /// <summary>
    /// Trains <paramref name="graph"/> for <paramref name="epochs"/> with <paramref name="masks"/> held fixed (pruned
    /// weights stay exactly zero through momentum and weight decay), distilling from <paramref name="teacher"/> if given.
    /// </summary>
    public TrainingResult FineTune(ModelGraph graph, PruningMasks? masks, int epochs, ModelGraph? teacher, string phase,
        params ITrainingCallback[] callbacks)
    {
        if (_train is null) throw new InvalidOperationException("fine-tuning needs training data");
        var options = _recipe.Training with
        {
            Epochs = epochs,
            CheckpointPath = null,
            Distillation = teacher is null ? null : new Distillation(teacher, _recipe.DistillTemperature, _recipe.DistillAlpha),
        };
        using var trainer = new Trainer(graph, _train, options);
        masks?.AttachTo(trainer);
        trainer.Callbacks.AddRange(callbacks);
        if (TrainingProgress is { } report) trainer.Progress = p => report(phase, p);
        Log?.Invoke($"{phase}: {epochs} epoch(s) at learning rate {options.LearningRate:G3}{(teacher is null ? "" : ", distilling")}");
        return trainer.Run();
    }
}
