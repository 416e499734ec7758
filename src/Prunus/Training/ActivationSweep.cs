using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Threading;

namespace Prunus.Training;

/// <summary>
/// Runs a model for inference over a fixed list of images of a dataset, one batch at a time, with named intermediate
/// values kept readable after each batch: how pruning and quantization calibrate. One plan per batch size, compiled
/// with <see cref="PlanOptions.ConstantWeights"/> false, so weights changed in place between sweeps are seen.
/// </summary>
public sealed class ActivationSweep
{
    private readonly ModelGraph _graph;
    private readonly ImageDataset _data;
    private readonly int[] _order;
    private readonly int _batchSize;
    private readonly HashSet<string> _keep;
    private readonly WorkerPool? _pool;
    private readonly Dictionary<int, Plan> _plans = [];
    private readonly int[] _labels;

    /// <summary>
    /// A sweep of <paramref name="graph"/> over images <paramref name="order"/> of <paramref name="data"/> in batches of
    /// <paramref name="batchSize"/>, keeping the values named in <paramref name="keep"/>.
    /// </summary>
    public ActivationSweep(ModelGraph graph, ImageDataset data, int[] order, int batchSize, IEnumerable<string> keep, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(order);
        ArgumentNullException.ThrowIfNull(keep);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be at least 1");
        _graph = graph;
        _data = data;
        _order = order;
        _batchSize = batchSize;
        _keep = new HashSet<string>(keep, StringComparer.Ordinal);
        _pool = pool;
        _labels = new int[batchSize];
    }

    /// <summary>Images per sweep.</summary>
    public int Images => _order.Length;

    /// <summary>The labels of the last batch run (the first count entries).</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>
    /// Runs every image once; after each batch calls <paramref name="visit"/>(plan, count) while the plan holds that
    /// batch (its first dimension is count), then <paramref name="progress"/> with the fraction of images done.
    /// </summary>
    public void Run(Action<Plan, int> visit, Action<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(visit);
        for (int start = 0; start < _order.Length; start += _batchSize)
        {
            int count = Math.Min(_batchSize, _order.Length - start);
            var plan = PlanFor(count);
            _data.FillBatch(_order, start, count, plan.Input(0), _labels);
            plan.Run();
            visit(plan, count);
            progress?.Invoke((double)(start + count) / _order.Length);
        }
    }

    /// <summary>The plan for batches of <paramref name="count"/> images (compiled on first use).</summary>
    public Plan PlanFor(int count)
    {
        if (_plans.TryGetValue(count, out var plan)) return plan;
        plan = Planner.Compile(_graph, BatchShape.For(_graph, _data, count),
            new PlanOptions { ConstantWeights = false, KeepValues = _keep, Pool = _pool });
        _plans[count] = plan;
        return plan;
    }
}
