using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Pruning.Criteria;
using Prunus.Tensors;
using Prunus.Threading;
using Prunus.Training;

namespace Prunus.Pruning;

/// <summary>How calibration runs: which images, in what batches, on which threads.</summary>
public sealed record CalibrationOptions
{
    /// <summary>Calibration images (at most the dataset's size); they are drawn at random by <see cref="Seed"/>.</summary>
    public int Images { get; init; } = 1024;
    /// <summary>Images per forward (and backward) pass.</summary>
    public int BatchSize { get; init; } = 128;
    /// <summary>Seed of the image draw (and of dropout in the gradient pass).</summary>
    public ulong Seed { get; init; }
    /// <summary>Threads for kernels and statistics; null uses <see cref="WorkerPool.Default"/>.</summary>
    public WorkerPool? Pool { get; init; }
    /// <summary>Largest reduction (C/group x window, or input features) for which X^T X is collected.</summary>
    public int MaxHessianReduction { get; init; } = 16384;

    /// <summary>Throws with a message naming the bad value.</summary>
    public void Validate()
    {
        if (Images < 1) throw new ArgumentOutOfRangeException(nameof(Images), Images, "calibration needs at least one image");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "the calibration batch size must be at least 1");
        if (MaxHessianReduction < 1) throw new ArgumentOutOfRangeException(nameof(MaxHessianReduction), MaxHessianReduction, "must be at least 1");
    }
}

/// <summary>
/// Runs a model on calibration images and measures, for each prunable layer, what data-driven criteria need
/// (<see cref="LayerStatistics"/>): input norms (Wanda), the input second moment X^T X (OBS, SparseGPT) and accumulated
/// squared weight-gradient products (first-order Taylor).
/// </summary>
/// <remarks>
/// Activations come from an inference plan (running statistics in BatchNormalization, no dropout) that keeps every
/// layer's input readable. Gradients come from a training plan, as the Taylor criterion is defined on training steps:
/// BatchNormalization then normalizes with batch statistics and dropout is active (drawn from <see cref="CalibrationOptions.Seed"/>);
/// the running statistics that such a plan updates are restored afterwards and the weights are never changed.
/// A grouped Conv keeps its statistics per group (group g's input norms at g*R, its X^T X at g*R*R), because each
/// group reads its own input channels: for a depthwise conv, pooling the groups would give every channel the same norms.
/// </remarks>
public static class Calibration
{
    /// <summary>
    /// Statistics for each of <paramref name="layers"/>, keyed by weight name, with the fields <paramref name="needs"/>
    /// asks for (input norms, Hessian, gradients); others are null.
    /// </summary>
    public static IReadOnlyDictionary<string, LayerStatistics> Collect(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, ImageDataset data,
        CalibrationNeeds needs, CalibrationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(layers);
        ArgumentNullException.ThrowIfNull(data);
        options ??= new CalibrationOptions();
        options.Validate();
        var result = new Dictionary<string, LayerStatistics>(StringComparer.Ordinal);
        foreach (var l in layers) result[l.WeightName] = new LayerStatistics();
        if (layers.Count == 0 || needs == CalibrationNeeds.None) return result;
        if (data.Count == 0) throw new DataException($"{data.Source}: the calibration set is empty");
        var order = SelectImages(data, options);

        if ((needs & (CalibrationNeeds.InputNorms | CalibrationNeeds.Hessian)) != 0)
        {
            var runner = new ActivationRunner(graph, layers, data, order, options);
            var stats = runner.Collect(layers, (needs & CalibrationNeeds.InputNorms) != 0, (needs & CalibrationNeeds.Hessian) != 0);
            foreach (var l in layers) result[l.WeightName] = stats[l.WeightName];
        }
        if ((needs & CalibrationNeeds.Gradients) != 0)
            CollectGradients(graph, layers, data, order, options, result);
        return result;
    }

    /// <summary>
    /// The calibration images: all of <paramref name="data"/> in order when it holds no more than
    /// <see cref="CalibrationOptions.Images"/>, else that many drawn without replacement by the seed.
    /// </summary>
    public static int[] SelectImages(ImageDataset data, CalibrationOptions options)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        if (options.Images >= data.Count) return Enumerable.Range(0, data.Count).ToArray();
        return data.Permutation(options.Seed, 0)[..options.Images];
    }

    /// <summary>Adds (w * dL/dw)^2 per weight over the calibration batches into each layer's statistics.</summary>
    private static void CollectGradients(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, ImageDataset data, int[] order,
        CalibrationOptions options, Dictionary<string, LayerStatistics> result)
    {
        var trainable = new HashSet<string>(Trainability.TrainableInitializers(graph), StringComparer.Ordinal);
        foreach (var l in layers)
            if (!trainable.Contains(l.WeightName))
                throw new ModelException($"layer '{l.Name}': its weight '{l.WeightName}' receives no gradient, so the Taylor criterion cannot score it");
        // A training plan updates BatchNormalization's running statistics in place: keep them to put back.
        var saved = graph.Initializers.Where(kv => kv.Value.Type == DataType.Float32 && !trainable.Contains(kv.Key))
            .Select(kv => (kv.Value, Copy: kv.Value.Clone())).ToList();
        var sums = layers.ToDictionary(l => l.WeightName, l => new double[l.Size], StringComparer.Ordinal);
        var plans = new Dictionary<int, Plan>();
        var labels = new int[options.BatchSize];
        int batches = 0;
        try
        {
            for (int start = 0; start < order.Length; start += options.BatchSize, batches++)
            {
                int count = Math.Min(options.BatchSize, order.Length - start);
                if (!plans.TryGetValue(count, out var plan))
                {
                    plan = Planner.Compile(graph, BatchShape.For(graph, data, count), new PlanOptions { Training = true, Pool = options.Pool, Seed = options.Seed });
                    plans[count] = plan;
                }
                data.FillBatch(order, start, count, plan.Input(0), labels);
                plan.Context.Reseed(KeyedRandom.Hash(options.Seed, 0x5441594CUL /* "TAYL" */, (ulong)batches));
                plan.Run();
                double loss = SoftmaxCrossEntropy.Compute(plan.Output(0), labels, plan.OutputGradient(0), 0, count);
                if (!double.IsFinite(loss)) throw new PrunusException($"the calibration loss is {loss}: the model's outputs are not finite");
                plan.Backward();
                foreach (var l in layers)
                {
                    var w = l.Weight.Floats;
                    var g = plan.Gradient(l.WeightName).Floats;
                    var s = sums[l.WeightName];
                    for (int i = 0; i < s.Length; i++)
                    {
                        double p = (double)w[i] * g[i];
                        s[i] += p * p;
                    }
                }
            }
        }
        finally
        {
            foreach (var (tensor, copy) in saved) tensor.CopyFrom(copy);
        }
        foreach (var l in layers)
        {
            var st = result[l.WeightName];
            st.TaylorSums = sums[l.WeightName];
            st.GradientBatches = batches;
        }
    }
}

/// <summary>
/// Runs the calibration images through an <see cref="ActivationSweep"/> that keeps the layers' inputs readable and
/// feeds them to the statistics; it reads the graph's weights at every run, so statistics reflect weights changed in between.
/// </summary>
internal sealed class ActivationRunner
{
    private readonly ActivationSweep _sweep;
    private readonly CalibrationOptions _options;
    private readonly Dictionary<Plan, Dictionary<string, LayerRows>> _rows = [];
    private readonly IReadOnlyList<PrunableLayer> _layers;

    public ActivationRunner(ModelGraph graph, IReadOnlyList<PrunableLayer> layers, ImageDataset data, int[] order, CalibrationOptions options)
    {
        _options = options;
        _layers = layers;
        _sweep = new ActivationSweep(graph, data, order, options.BatchSize, layers.Select(l => l.InputName), options.Pool);
    }

    /// <summary>Runs every calibration image once and accumulates the statistics of <paramref name="layers"/>.</summary>
    public Dictionary<string, LayerStatistics> Collect(IReadOnlyList<PrunableLayer> layers, bool squares, bool hessian)
    {
        var pool = _options.Pool ?? WorkerPool.Default;
        var transposed = new double[hessian ? LayerRows.BlockRows * layers.Max(l => l.Reduction) : 0];
        var sinks = layers.ToDictionary(l => l.WeightName, l =>
        {
            long size = (long)l.Groups * l.Reduction * l.Reduction;
            if (hessian && l.Reduction > _options.MaxHessianReduction)
                throw new ArgumentException($"layer '{l.Name}' sums over {l.Reduction} inputs, more than the {_options.MaxHessianReduction} for which " +
                    $"calibration collects X^T X ({(long)l.Reduction * l.Reduction * 8 >> 20} MB per group); leave it out of pruning (ignore it)");
            if (hessian && size > Array.MaxLength)
                throw new ArgumentException($"layer '{l.Name}': {l.Groups} Hessians of {l.Reduction} x {l.Reduction} do not fit in memory");
            return new StatisticsAccumulator(l.Reduction, l.Groups, squares, hessian, pool, transposed);
        }, StringComparer.Ordinal);
        var scratch = new double[LayerRows.BlockRows * layers.Max(l => l.Reduction)];
        _sweep.Run((plan, count) =>
        {
            var rows = RowsFor(plan);
            foreach (var l in layers)
                rows[l.WeightName].Feed(plan.Value(l.InputName)!, count, sinks[l.WeightName], scratch);
        });
        return sinks.ToDictionary(kv => kv.Key, kv => kv.Value.ToStatistics(), StringComparer.Ordinal);
    }

    private Dictionary<string, LayerRows> RowsFor(Plan plan)
    {
        if (_rows.TryGetValue(plan, out var rows)) return rows;
        rows = _layers.ToDictionary(l => l.WeightName, l => LayerRows.For(l, plan), StringComparer.Ordinal);
        _rows[plan] = rows;
        return rows;
    }
}
