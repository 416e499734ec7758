using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Quantization.Calibration;
using Prunus.Quantization.Observers;
using Prunus.Quantization.Sensitivity;
using Prunus.Tensors;
using Prunus.Training;

namespace Prunus.Quantization.Static;

/// <summary>What static quantization produced.</summary>
/// <param name="Graph">The QDQ model (standard ONNX).</param>
/// <param name="Layers">Per layer: quantized or kept in float, and why.</param>
/// <param name="Activations">Calibrated parameters of each quantized activation (by tensor name).</param>
/// <param name="Fallback">The sensitivity fallback's measurements, when a loss budget was given.</param>
/// <param name="LargestBiasCorrection">The largest bias correction, in the units of the layer's output (0 when none).</param>
public sealed record StaticQuantizationResult(ModelGraph Graph, IReadOnlyList<LayerDecision> Layers,
    IReadOnlyDictionary<string, QuantizationParameters> Activations, FallbackResult? Fallback, double LargestBiasCorrection);

/// <summary>
/// Post-training static quantization to QDQ form: the float model is optimized for export (BatchNormalization folded
/// into Conv, Identity and Dropout removed, constants folded), activation ranges are calibrated on images with an
/// observer, weights get per-channel (or per-tensor) ranges, QuantizeLinear/DequantizeLinear pairs are inserted,
/// biases are corrected, and, under a loss budget, the most sensitive layers go back to float.
/// </summary>
public static class StaticQuantizer
{
    /// <summary>
    /// Quantizes <paramref name="graph"/> (unchanged) calibrating on <paramref name="calibration"/>; with
    /// <see cref="StaticQuantizationOptions.MaxLoss"/> set, <paramref name="validation"/> measures the loss.
    /// <paramref name="progress"/> gets (fraction of the current phase, phase), <paramref name="log"/> one line per step.
    /// </summary>
    public static StaticQuantizationResult Quantize(ModelGraph graph, ImageDataset calibration, StaticQuantizationOptions options,
        ImageDataset? validation = null, Action<double, string>? progress = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(calibration);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (options.MaxLoss is not null && validation is null) throw new ArgumentException("a loss budget needs validation data to measure the loss on");
        if (calibration.Count == 0) throw new DataException($"{calibration.Source}: the calibration set is empty");

        var prepared = Prepare(graph, options.BiasCorrection);
        var layers = QuantizableLayer.Find(prepared, options.Exclude);
        if (layers.Count == 0) throw NothingToQuantize(graph);
        var layout = new QdqLayout(prepared, layers);
        var tensors = layout.CalibratedTensors();
        log?.Invoke($"calibrating {tensors.Count} activations of {layers.Count} layers with {options.Calibration.Name()} on {Math.Min(options.Sampling.Images, calibration.Count)} images");
        // The model's own inputs and outputs keep their whole observed range whatever the method: clipping the input
        // discards information the data holds exactly, and clipping the logits makes ties of the top classes.
        var ends = new HashSet<string>(prepared.DataInputs.Select(i => i.Name).Concat(prepared.Outputs.Select(o => o.Name)), StringComparer.Ordinal);
        var observers = ActivationCalibration.Collect(prepared, tensors, calibration,
            t => ends.Contains(t) ? new MinMaxObserver() : options.Calibration.Create(options.Percentile),
            options.Sampling, f => progress?.Invoke(f, "calibrating"));
        var activations = observers.ToDictionary(kv => kv.Key, kv => kv.Value.Parameters(options.Activations), StringComparer.Ordinal);
        var weights = layers.ToDictionary(l => l, l => WeightRanges.Parameters(l.Layer.Weight, options.Weights, l.WeightAxis, options.WeightRange));
        var byName = layers.ToDictionary(l => l.Name, l => l, StringComparer.Ordinal);

        double largestCorrection = 0;
        QdqModel Build(IReadOnlyCollection<string> names, Action<double>? buildProgress = null)
        {
            var chosen = layers.Where(l => names.Contains(l.Name)).ToList();
            var model = QdqInsertion.Apply(prepared, layout, chosen, activations, weights, options.Weights, graphOutputs: options.QuantizeOutputs);
            if (options.BiasCorrection)
                largestCorrection = BiasCorrection.Apply(prepared, model, calibration, options.Sampling, buildProgress);
            return model;
        }

        FallbackResult? fallback = null;
        var names = layers.Select(l => l.Name).ToList();
        if (options.MaxLoss is { } maxLoss)
        {
            var pool = options.Sampling.Pool;
            var held = validation!;
            double baseline = new Evaluator(prepared, 1000, pool).Evaluate(held).Accuracy;
            log?.Invoke($"float accuracy on {held.Count} validation images: {baseline:F4}; budget {maxLoss:0.###} pt");
            fallback = SensitivityFallback.Run(names, set => new Evaluator(Build(set).Graph, 1000, pool).Evaluate(held).Accuracy,
                baseline, maxLoss, (f, what) => progress?.Invoke(f, what));
            log?.Invoke($"fully quantized: {(baseline - fallback.FullAccuracy) * 100:F2} pt lost; " + (fallback.Steps.Count == 0 ? "within budget"
                : $"kept in float: {string.Join(", ", fallback.Steps.Select(s => s.Layer))} ({fallback.Loss:F2} pt lost)"));
            names = names.Where(fallback.Quantized.Contains).ToList();
        }
        var final = Build(names, f => progress?.Invoke(f, "bias correction"));
        if (options.BiasCorrection && final.Biases.Count > 0)
            log?.Invoke($"bias correction: largest mean output shift corrected {largestCorrection:G3}");

        var decisions = layers.Select(l =>
        {
            bool q = names.Contains(l.Name);
            double? solo = fallback is not null && fallback.SoloLoss.TryGetValue(l.Name, out var s) ? s : null;
            var how = q ? $"{options.Weights.Type.Name()} {(weights[l].PerChannel ? "per-channel" : "per-tensor")} weights" +
                    (l.Bias is not null ? ", int32 bias" : "") + (l.Activation is { } a ? $", {a.OpType} fused" : "")
                : "kept in float (sensitivity)";
            return new LayerDecision(l.Name, l.OpType, l.Layer.Size, q, how, solo);
        }).ToList();
        foreach (var name in options.Exclude)
            if (QuantizableNode(prepared, name) is { } n)
                decisions.Add(new LayerDecision(n.Name, n.OpType, prepared.Initializers[n.Inputs[1]].Length, false, "excluded"));
        var used = final.Points.ToDictionary(kv => kv.Key, kv => activations[kv.Value], StringComparer.Ordinal);
        return new StaticQuantizationResult(final.Graph, decisions, used, fallback, largestCorrection);
    }

    /// <summary>
    /// Throws the error of <see cref="Quantize"/> for a model with nothing to quantize (no Conv, Gemm or MatMul with a
    /// constant float weight once optimized for export), before any work is done.
    /// </summary>
    public static void CheckQuantizable(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (Pruning.PrunableLayers.Find(Prepare(graph, withBiases: false)).Count == 0) throw NothingToQuantize(graph);
    }

    /// <summary>
    /// The float graph quantization starts from: a copy optimized by the export-safe passes (BatchNormalization
    /// folded, constants folded, no Identity or Dropout), with a zero bias given to Conv and Gemm layers that have
    /// none when <paramref name="withBiases"/> (bias correction needs somewhere to put its shift).
    /// </summary>
    public static ModelGraph Prepare(ModelGraph graph, bool withBiases)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var prepared = PassPipeline.ForExport.Optimize(graph);
        if (!withBiases) return prepared;
        foreach (var l in Pruning.PrunableLayers.Find(prepared))
        {
            var node = l.Node;
            if (l.Kind == Pruning.LayerKind.MatMul || node.InputOrNull(2) is not null) continue;
            var name = UniqueInitializerName(prepared, $"{l.WeightName}_bias");
            prepared.Initializers[name] = Tensor.Zeros(l.Outputs);
            while (node.Inputs.Count < 3) node.Inputs.Add("");
            node.Inputs[2] = name;
        }
        return prepared;
    }

    private static string UniqueInitializerName(ModelGraph graph, string stem)
    {
        var name = stem;
        for (int i = 1; graph.Initializers.ContainsKey(name) || graph.Nodes.Any(n => n.Outputs.Contains(name)); i++) name = $"{stem}_{i}";
        return name;
    }

    private static Node? QuantizableNode(ModelGraph graph, string name) =>
        graph.Nodes.FirstOrDefault(n => (n.Name == name || n.Inputs.Count > 1 && n.Inputs[1] == name) && n.OpType is "Conv" or "Gemm" or "MatMul"
            && n.Inputs.Count > 1 && graph.Initializers.ContainsKey(n.Inputs[1]));

    /// <summary>The error for a model without a Conv, Gemm or MatMul whose weight is a float initializer.</summary>
    internal static ModelException NothingToQuantize(ModelGraph graph)
    {
        bool already = graph.Nodes.Any(n => n.OpType is "DequantizeLinear" or "QuantizeLinear" or "DynamicQuantizeLinear" or "MatMulInteger");
        return new ModelException(already
            ? $"model '{graph.Name}' is already quantized (it has QuantizeLinear/DequantizeLinear nodes and no float weights left to quantize); give the float model"
            : $"model '{graph.Name}' has nothing to quantize: no Conv, Gemm or MatMul reads a constant float weight");
    }
}
