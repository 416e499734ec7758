using Prunus.Data;
using Prunus.Graph;
using Prunus.Pruning;
using Prunus.Tensors;
using Prunus.Training;

namespace Prunus.Quantization.Static;

/// <summary>
/// Empirical bias correction: quantized weights and inputs shift the mean of a layer's output; the shift of each
/// output channel, measured on calibration images as mean(float output) − mean(quantized output), is added to the
/// layer's bias. Layers are corrected in graph order, each measured with the corrections before it in place, so
/// that a shift passed on from an earlier layer is not corrected twice.
/// </summary>
public static class BiasCorrection
{
    /// <summary>
    /// Corrects the int32 biases of <paramref name="model"/> (the QDQ form of <paramref name="floatGraph"/>) in place;
    /// returns the largest correction (in the units of the layer's output).
    /// </summary>
    public static double Apply(ModelGraph floatGraph, QdqModel model, ImageDataset data, CalibrationOptions options, Action<double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(floatGraph);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(options);
        var layers = model.Biases.Keys.OrderBy(l => floatGraph.Nodes.IndexOf(l.Node)).ToList();
        if (layers.Count == 0) return 0;
        var order = Pruning.Calibration.SelectImages(data, options);
        var reference = Means(floatGraph, data, order, options, layers.ToDictionary(l => l.RawOutput, l => l));
        double largest = 0;
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var name = model.Nodes[layer].Outputs[0];
            var measured = Means(model.Graph, data, order, options, new Dictionary<string, QuantizableLayer> { [name] = layer })[name];
            var expected = reference[layer.RawOutput];
            var bias = model.Biases[layer];
            var values = bias.Values;
            for (int k = 0; k < values.Length; k++)
            {
                double shift = expected[k] - measured[k];
                values[k] += (float)shift;
                largest = Math.Max(largest, Math.Abs(shift));
            }
            bias.Set(values);
            progress?.Invoke((double)(i + 1) / layers.Count);
        }
        return largest;
    }

    /// <summary>Mean per output channel of each named tensor over the calibration images.</summary>
    private static Dictionary<string, double[]> Means(ModelGraph graph, ImageDataset data, int[] order, CalibrationOptions options,
        Dictionary<string, QuantizableLayer> tensors)
    {
        var sums = tensors.ToDictionary(kv => kv.Key, kv => new double[kv.Value.Layer.Outputs], StringComparer.Ordinal);
        var counts = tensors.Keys.ToDictionary(k => k, _ => 0L, StringComparer.Ordinal);
        var sweep = new ActivationSweep(graph, data, order, options.BatchSize, tensors.Keys, options.Pool);
        sweep.Run((plan, _) =>
        {
            foreach (var (name, layer) in tensors)
            {
                var y = plan.Value(name) ?? throw new InvalidOperationException($"the plan kept no value '{name}'");
                counts[name] += Accumulate(y, layer.OutputChannelAxis(y.Rank), sums[name]);
            }
        });
        foreach (var (name, s) in sums)
            for (int k = 0; k < s.Length; k++) s[k] /= Math.Max(1, counts[name]);
        return sums;
    }

    /// <summary>Adds the values of <paramref name="y"/> into the sum of their channel along <paramref name="axis"/>; returns values per channel.</summary>
    private static long Accumulate(Tensor y, int axis, double[] sums)
    {
        int k = y.Shape[axis];
        if (k != sums.Length) throw new ModelException($"an output of shape {ShapeMath.Format(y.Shape)} has {k} channels along axis {axis}, its layer {sums.Length}");
        int inner = ShapeMath.Size(y.Shape[(axis + 1)..]);
        var v = y.Floats;
        int outer = v.Length / Math.Max(1, k * inner);
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < k; c++)
            {
                double s = 0;
                foreach (var x in v.Slice((o * k + c) * inner, inner)) s += x;
                sums[c] += s;
            }
        return (long)outer * inner;
    }
}
