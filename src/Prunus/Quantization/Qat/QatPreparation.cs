using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Ops;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Pruning;
using Prunus.Quantization.Calibration;
using Prunus.Quantization.Observers;
using Prunus.Quantization.Static;
using Prunus.Tensors;
using Prunus.Training;

namespace Prunus.Quantization.Qat;

/// <summary>
/// Makes a float model ready for quantization-aware training: BatchNormalization folded into the Conv (or Gemm)
/// before it, and FakeQuantize nodes (domain ai.prunus) exactly where static quantization puts QuantizeLinear ->
/// DequantizeLinear (<see cref="QdqLayout"/>): on each quantizable layer's input activation, on its output after a
/// following Relu or Clip, on the tensors between layers that only pass-through ops produce (sharing their source's
/// parameters), and on each Conv/Gemm/MatMul weight (per output channel). Activation ranges start from a short
/// calibration of the float model. The result trains with the ordinary <see cref="Trainer"/> (straight-through
/// gradients; LSQ scales as parameters when asked) and becomes the static quantizer's QDQ file with
/// <see cref="QatExport.ToQdq"/>.
/// </summary>
public static class QatPreparation
{
    /// <summary>
    /// A new graph made from <paramref name="graph"/> (unchanged) for QAT, its activation ranges calibrated on
    /// <paramref name="calibration"/>.
    /// </summary>
    public static ModelGraph Prepare(ModelGraph graph, ImageDataset calibration, QatOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(calibration);
        options ??= new QatOptions();
        options.Validate();
        if (calibration.Count == 0) throw new DataException($"{calibration.Source}: the calibration set is empty");
        var g = graph.Clone();
        new BatchNormFoldingPass().Apply(g);
        var layers = QuantizableLayer.Find(g, options.Ignore);
        if (layers.Count == 0)
            throw new ArgumentException($"model '{graph.Name}' has nothing to quantize: no Conv, Gemm or MatMul reads a constant float weight" +
                (options.Ignore.Count > 0 ? " that is not ignored" : ""));
        var points = new QdqLayout(g, layers).Points(layers, options.QuantizeOutputs);

        // Ranges from the float model (with BN folded), one observer per tensor with its own parameters.
        var own = points.Values.Distinct(StringComparer.Ordinal).ToList();
        // As in static quantization, the model's own inputs and outputs keep their whole observed range.
        var ends = new HashSet<string>(g.DataInputs.Select(i => i.Name).Concat(g.Outputs.Select(o => o.Name)), StringComparer.Ordinal);
        var observers = ActivationCalibration.Collect(g, own, calibration, t => ends.Contains(t) ? new MinMaxObserver() : options.Calibration.Create(),
            options.CalibrationImages);
        var features = FeaturesPerImage(g, calibration, own);

        var editor = new GraphEditor(g);
        var scales = new Dictionary<string, (string Scale, string Zero)>(StringComparer.Ordinal);
        foreach (var p in own)
        {
            var (min, max) = observers[p].Range(options.Activations);
            var (s, z) = QuantMath.Parameters(min, max, options.Activations);
            scales[p] = (editor.AddInitializer(p + "_scale", Tensor.Scalar(s)), editor.AddInitializer(p + "_zero_point", Tensor.Scalar((float)z)));
        }
        // In graph order, as static quantization inserts its pairs.
        var order = g.DataInputs.Select(i => i.Name).Concat(g.Nodes.SelectMany(n => n.Outputs)).Where(points.ContainsKey).Distinct().ToList();
        foreach (var p in order)
        {
            var (scale, zero) = scales[points[p]];
            var fq = FakeQuantize(editor, p + "_FakeQuantize", options.Activations.QMin, options.Activations.QMax, options.LearnedScales);
            fq.Inputs.AddRange([p, scale, zero]);
            if (options.LearnedScales) fq.Attributes["grad_scale"] = AttributeValue.Of(GradScale(features[points[p]], options.Activations.QMax));
            Insert(editor, fq, p);
        }
        foreach (var layer in layers) QuantizeWeight(editor, layer.Layer, options);
        editor.Commit();
        editor.ImportPrunusDomain();
        return g;
    }

    /// <summary>Elements per image of each value (LSQ's N for an activation: the features of one sample).</summary>
    private static Dictionary<string, int> FeaturesPerImage(ModelGraph g, ImageDataset data, IEnumerable<string> values)
    {
        var plan = Planner.Compile(g, BatchShape.For(g, data, 1), new PlanOptions { ConstantWeights = false, KeepValues = values.ToHashSet() });
        return values.ToDictionary(v => v, v => ShapeMath.Size(plan.Infos[v].Shape), StringComparer.Ordinal);
    }

    /// <summary>LSQ's gradient scale 1/√(N·Qp).</summary>
    private static float GradScale(int n, int qmax) => (float)(1 / Math.Sqrt(Math.Max(1, n) * (double)qmax));

    private static Node FakeQuantize(GraphEditor editor, string name, int qmin, int qmax, bool lsq)
    {
        var n = new Node("FakeQuantize", editor.UniqueName(name), [], []) { Domain = PrunusDomain.Name };
        n.Attributes["qmin"] = AttributeValue.Of((long)qmin);
        n.Attributes["qmax"] = AttributeValue.Of((long)qmax);
        if (lsq) n.Attributes["lsq"] = AttributeValue.Of(1L);
        return n;
    }

    /// <summary>Makes every reader of <paramref name="value"/> read <paramref name="fq"/>'s output; a graph output keeps its name.</summary>
    private static void Insert(GraphEditor editor, Node fq, string value)
    {
        if (editor.IsGraphOutput(value) && editor.Producer(value) is { } producer)
        {
            var raw = editor.UniqueName(value + "_float");
            editor.SetOutput(producer, producer.Outputs.IndexOf(value), raw);
            fq.Inputs[0] = raw;
            fq.Outputs.Add(value);
            editor.Add(fq);
            return;
        }
        var quantized = editor.UniqueName(value + "_fq");
        editor.ReplaceUses(value, quantized);
        fq.Outputs.Add(quantized);
        var first = editor.Consumers(quantized).Select(c => editor.Graph.Nodes.IndexOf(c)).DefaultIfEmpty(-1).Min();
        editor.Add(fq, before: first >= 0 ? editor.Graph.Nodes[first] : null);
    }

    /// <summary>Puts a per-channel (or per-tensor) symmetric fake quantizer between the layer's weight and its readers.</summary>
    private static void QuantizeWeight(GraphEditor editor, PrunableLayer layer, QatOptions options)
    {
        var spec = options.Weights;
        int qmin = spec.QMin, qmax = spec.QMax;
        var fq = FakeQuantize(editor, layer.WeightName + "_FakeQuantize", qmin, qmax, options.LearnedScales);
        fq.Inputs.Add(layer.WeightName);
        bool perChannel = spec.Granularity == ScaleGranularity.PerChannel;
        int axis = layer.Transposed ? 1 : 0;
        fq.Attributes["axis"] = AttributeValue.Of((long)axis);
        if (options.LearnedScales)
        {
            // The step starts where the symmetric range puts it, so training starts from the post-training quantizer.
            var w = layer.Weight;
            int channels = perChannel ? layer.Outputs : 1;
            var s = new float[channels];
            for (int r = 0; r < layer.Outputs; r++)
            {
                float m = 0;
                for (int c = 0; c < layer.Reduction; c++) m = MathF.Max(m, MathF.Abs(w.Floats[layer.Index(r, c)]));
                s[perChannel ? r : 0] = MathF.Max(s[perChannel ? r : 0], m);
            }
            for (int i = 0; i < channels; i++) s[i] = Kernels.FakeQuant.SymmetricScale(s[i], qmax);
            fq.Inputs.Add(editor.AddInitializer(layer.WeightName + "_scale", perChannel ? Tensor.From(s, channels) : Tensor.Scalar(s[0])));
            // LSQ's N_W is the layer's weight count, also for per-channel steps: each channel's sum of gradients is
            // then scaled down as much as the layer's single step would be, which keeps the small per-channel steps
            // from moving faster than the weights they scale.
            fq.Attributes["grad_scale"] = AttributeValue.Of(GradScale(layer.Size, qmax));
        }
        else if (perChannel) fq.Attributes["per_channel"] = AttributeValue.Of(1L);
        Insert(editor, fq, layer.WeightName);
    }
}
