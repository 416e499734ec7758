using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Pruning;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Quantization.WeightOnly;

/// <summary>What weight-only quantization did to one layer.</summary>
/// <param name="Name">The layer (node name, or weight name when the node has none).</param>
/// <param name="Weight">The float weight's initializer name, now replaced.</param>
/// <param name="Rows">Output channels or features.</param>
/// <param name="Columns">Reduction terms per output.</param>
/// <param name="GroupSize">Columns per group (the whole row when per channel).</param>
/// <param name="FloatBytes">Bytes of the float weight.</param>
/// <param name="QuantizedBytes">Bytes of its quantized form in a file (packed values, scales, zero points).</param>
/// <param name="WeightRmse">Root mean squared difference between the float and the dequantized weights.</param>
/// <param name="GptqError">GPTQ's estimate of the added output error (in units of the damped X^T X); NaN for round-to-nearest.</param>
public sealed record WeightOnlyLayer(string Name, string Weight, int Rows, int Columns, int GroupSize, long FloatBytes, long QuantizedBytes,
    double WeightRmse, double GptqError);

/// <summary>A weight-only quantized model and what was done to each layer.</summary>
/// <param name="Graph">The quantized model (a new graph; the input is unchanged).</param>
/// <param name="Layers">The quantized layers, in graph order.</param>
public sealed record WeightOnlyResult(ModelGraph Graph, IReadOnlyList<WeightOnlyLayer> Layers);

/// <summary>
/// Weight-only low-bit quantization: the model is optimized for export (BatchNormalization folded, constants folded,
/// Identity and Dropout removed), then the weights of Conv, Gemm and MatMul become int8 or int4 (signed symmetric, or
/// unsigned with zero points) with one scale per group of consecutive weights along the reduction, rounded to nearest
/// or by GPTQ from calibration data; they are stored as integer initializers dequantized by DequantizeLinear
/// (opset 21, <c>block_size</c>) in front of each op, while activations stay float. A Conv's reduction is its
/// C/group x kernel window, flattened.
/// </summary>
/// <remarks>
/// GPTQ follows the paper's procedure: layer by layer in graph order, each layer's X^T X is measured on calibration
/// images (on the model whose earlier layers are already quantized, unless <see cref="WeightOnlyOptions.Sequential"/>
/// is false) and its columns are quantized with error feedback (see <see cref="Gptq"/>); a grouped Conv is quantized
/// group by group against its own inputs' X^T X. The calibration machinery is pruning's (<see cref="Pruning.Calibration"/>).
/// </remarks>
public static class WeightOnlyQuantizer
{
    /// <summary>
    /// Quantizes the weights of <paramref name="graph"/> (unchanged; the result is an optimized copy). <paramref name="calibration"/>
    /// is needed by GPTQ only. <paramref name="progress"/> receives each finished layer's name and the fraction done.
    /// </summary>
    public static WeightOnlyResult Quantize(ModelGraph graph, WeightOnlyOptions options, ImageDataset? calibration = null,
        Action<string, double>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        // As static quantization does: BatchNormalization folded into the weights it scales, constants folded, no Dropout.
        var work = PassPipeline.ForExport.Optimize(graph);
        IReadOnlyList<PrunableLayer> layers;
        try { layers = PrunableLayers.Find(work, options.Ignore); }
        catch (ArgumentException e) { throw new ArgumentException(e.Message.Replace("prunable", "quantizable", StringComparison.Ordinal), e); }
        if (layers.Count == 0)
            throw new ArgumentException($"model '{graph.Name}' has nothing to quantize: no Conv, Gemm or MatMul reads a constant float weight" +
                (options.Ignore.Count > 0 ? " that is not ignored" : ""));
        if (work.Metadata.Opset < OpsetUpgrade.Oldest)
            throw new ModelException($"model '{graph.Name}' uses opset {work.Metadata.Opset}; weight-only quantization needs opset {OpsetUpgrade.Oldest} or newer (re-export the model)");
        ActivationRunner? runner = null;
        IReadOnlyDictionary<string, LayerStatistics>? all = null;
        if (options.Rounding == WeightRounding.Gptq)
        {
            if (calibration is null) throw new ArgumentException("GPTQ needs calibration images (--data); round-to-nearest (rtn) needs none");
            if (calibration.Count == 0) throw new DataException($"{calibration.Source}: the calibration set is empty");
            runner = new ActivationRunner(work, layers, calibration, Pruning.Calibration.SelectImages(calibration, options.Calibration), options.Calibration);
            if (!options.Sequential) all = runner.Collect(layers, squares: false, hessian: true);
        }

        var pool = options.Calibration.Pool ?? WorkerPool.Default;
        var spec = options.Spec;
        var quantized = new List<(PrunableLayer Layer, GroupQuantizedMatrix Matrix)>();
        var reports = new List<WeightOnlyLayer>();
        for (int l = 0; l < layers.Count; l++)
        {
            var layer = layers[l];
            double error = double.NaN;
            GroupQuantizedMatrix matrix;
            var w = Matrix(layer);
            int groupSize = options.GroupSize == 0 ? Math.Max(1, layer.Reduction) : options.GroupSize;
            if (runner is null) matrix = GroupQuantizedMatrix.RoundToNearest(w, layer.Outputs, layer.Reduction, groupSize, spec);
            else
            {
                var hessian = (all?[layer.WeightName] ?? runner.Collect([layer], squares: false, hessian: true)[layer.WeightName]).Hessian!;
                (matrix, error) = QuantizeGroups(layer, w, hessian, groupSize, spec, options, pool);
            }
            // The graph now computes with the quantized weights, so later layers calibrate on what they will see.
            var dequantized = matrix.Dequantize();
            double sum = 0;
            for (int i = 0; i < w.Length; i++) { double d = w[i] - dequantized[i]; sum += d * d; }
            var dst = layer.Weight.Floats;
            for (int r = 0; r < layer.Outputs; r++)
                for (int c = 0; c < layer.Reduction; c++) dst[layer.Index(r, c)] = dequantized[(long)r * layer.Reduction + c];
            quantized.Add((layer, matrix));
            reports.Add(new WeightOnlyLayer(layer.Name, layer.WeightName, layer.Outputs, layer.Reduction, matrix.GroupSize, 4L * layer.Size,
                BlockedWeights.FileBytes(matrix), w.Length == 0 ? 0 : Math.Sqrt(sum / w.Length), error));
            progress?.Invoke(layer.Name, (l + 1.0) / layers.Count);
        }

        var editor = new GraphEditor(work);
        bool needs21 = false;
        foreach (var (layer, matrix) in quantized) needs21 |= BlockedWeights.Replace(editor, layer, matrix);
        editor.Commit();
        if (needs21) OpsetUpgrade.To21(work);
        return new WeightOnlyResult(work, reports);
    }

    /// <summary>The layer's weight as a row-major [Outputs, Reduction] matrix, whatever its memory layout.</summary>
    internal static float[] Matrix(PrunableLayer layer)
    {
        var src = layer.Weight.Floats;
        var w = new float[layer.Size];
        for (int r = 0; r < layer.Outputs; r++)
            for (int c = 0; c < layer.Reduction; c++) w[(long)r * layer.Reduction + c] = src[layer.Index(r, c)];
        return w;
    }

    /// <summary>GPTQ of one layer; a grouped Conv group by group, each against its own inputs' X^T X.</summary>
    private static (GroupQuantizedMatrix, double) QuantizeGroups(PrunableLayer layer, float[] w, double[] hessian, int groupSize,
        QuantizationSpec spec, WeightOnlyOptions options, WorkerPool pool)
    {
        int groups = layer.Groups, r = layer.Reduction, perGroup = layer.Outputs / groups;
        var result = new GroupQuantizedMatrix(layer.Outputs, r, groupSize, spec);
        double error = 0;
        for (int g = 0; g < groups; g++)
        {
            var (part, e) = Gptq.QuantizeMatrix(w.AsSpan(g * perGroup * r, perGroup * r), perGroup, r, hessian.AsSpan(g * r * r, r * r),
                groupSize, spec, options.Dampening, options.ActOrder, pool);
            part.Values.CopyTo(result.Values, (long)g * perGroup * r);
            part.Scales.CopyTo(result.Scales, (long)g * perGroup * result.Groups);
            part.ZeroPoints.CopyTo(result.ZeroPoints, (long)g * perGroup * result.Groups);
            error += e;
        }
        return (result, error);
    }
}
