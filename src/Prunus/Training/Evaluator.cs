using System.Diagnostics;
using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Training;

/// <summary>
/// Accuracy and mean cross-entropy of a classifier on an <see cref="ImageDataset"/>. Plans are compiled with
/// <see cref="PlanOptions.ConstantWeights"/> false and kept (one per batch size), so the evaluator reads the current
/// values of the graph's initializer tensors at every call: weights updated in place during training are seen.
/// Replacing an initializer tensor object (rather than its values) needs a new evaluator.
/// </summary>
public sealed class Evaluator
{
    private readonly ModelGraph _graph;
    private readonly WorkerPool? _pool;
    private Plan? _full, _tail; // the batch-size plan and the last partial batch's
    private int[] _labels = [];
    private int[] _order = [];

    /// <summary>Images per forward pass.</summary>
    public int BatchSize { get; }

    /// <summary>An evaluator of <paramref name="graph"/> (first input: images [N,C,H,W]; first output: logits [N,K]).</summary>
    public Evaluator(ModelGraph graph, int batchSize = 1000, WorkerPool? pool = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "the batch size must be at least 1");
        _graph = graph;
        BatchSize = batchSize;
        _pool = pool;
    }

    /// <summary>Evaluates the model on all of <paramref name="data"/>, in order.</summary>
    public Evaluation Evaluate(ImageDataset data)
    {
        var watch = Stopwatch.StartNew();
        if (_order.Length != data.Count)
        {
            _order = new int[data.Count];
            for (int i = 0; i < _order.Length; i++) _order[i] = i;
        }
        if (_labels.Length < BatchSize) _labels = new int[BatchSize];
        double lossSum = 0;
        int correct = 0;
        for (int start = 0; start < data.Count; start += BatchSize)
        {
            int count = Math.Min(BatchSize, data.Count - start);
            var plan = PlanFor(count, data);
            data.FillBatch(_order, start, count, plan.Input(0), _labels);
            plan.Run();
            var logits = plan.Output(0);
            lossSum += SoftmaxCrossEntropy.Compute(logits, _labels, null, 0, count) * count;
            correct += SoftmaxCrossEntropy.CountCorrect(logits, _labels, count);
        }
        int n = data.Count;
        return new Evaluation(n == 0 ? 0 : (double)correct / n, n == 0 ? 0 : lossSum / n, n, correct, watch.Elapsed.TotalSeconds);
    }

    private Plan PlanFor(int count, ImageDataset data)
    {
        ref Plan? slot = ref count == BatchSize ? ref _full : ref _tail;
        var shape = BatchShape.For(_graph, data, count);
        if (slot is { } plan && ShapeMath.SameShape(plan.Input(0).Shape, shape)) return plan;
        slot = Planner.Compile(_graph, shape, new PlanOptions { ConstantWeights = false, Pool = _pool });
        var logits = slot.Output(0).Shape;
        // Logits may carry unit dimensions ([N,1,1,K] from a conv head); what matters is K scores per image.
        int perImage = count == 0 || logits.Length == 0 || logits[0] != count ? -1 : ShapeMath.Size(logits) / count;
        if (perImage != data.ClassCount)
            throw new DataException($"the model's first output '{_graph.Outputs[0].Name}' has shape {ShapeMath.Format(logits)} for a batch of {count}; " +
                $"evaluation needs logits [N,{data.ClassCount}] for the {data.ClassCount} classes of the data");
        return slot;
    }
}
