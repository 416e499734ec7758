using Prunus.Data;
using Prunus.Graph;
using Prunus.Pruning;
using Prunus.Quantization.Observers;
using Prunus.Training;

namespace Prunus.Quantization.Calibration;

/// <summary>
/// Calibration of activation ranges: runs the model on calibration images (drawn as pruning draws them, by
/// <see cref="CalibrationOptions"/>) and feeds every batch of each watched tensor to its own <see cref="Observer"/>.
/// </summary>
public static class ActivationCalibration
{
    /// <summary>
    /// Observers of <paramref name="tensors"/> (values of <paramref name="graph"/>: graph inputs or node outputs), each
    /// made by <paramref name="create"/> and fed every calibration batch; <paramref name="progress"/> gets the fraction done.
    /// </summary>
    public static Dictionary<string, Observer> Collect(ModelGraph graph, IReadOnlyCollection<string> tensors, ImageDataset data,
        Func<string, Observer> create, CalibrationOptions? options = null, Action<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(create);
        options ??= new CalibrationOptions();
        options.Validate();
        if (data.Count == 0) throw new DataException($"{data.Source}: the calibration set is empty");
        var defined = new HashSet<string>(graph.Nodes.SelectMany(n => n.Outputs), StringComparer.Ordinal);
        defined.UnionWith(graph.DataInputs.Select(i => i.Name));
        foreach (var t in tensors)
            if (!defined.Contains(t)) throw new ArgumentException($"'{t}' is neither a data input nor a node output of model '{graph.Name}'");
        var observers = tensors.Distinct(StringComparer.Ordinal).ToDictionary(t => t, create, StringComparer.Ordinal);
        if (observers.Count == 0) return observers;
        var order = Pruning.Calibration.SelectImages(data, options);
        var sweep = new ActivationSweep(graph, data, order, options.BatchSize, observers.Keys, options.Pool);
        sweep.Run((plan, count) =>
        {
            foreach (var (name, observer) in observers)
            {
                var value = plan.Value(name) ?? throw new InvalidOperationException($"the plan kept no value '{name}'");
                observer.Observe(value.Floats);
            }
        }, progress);
        return observers;
    }
}
