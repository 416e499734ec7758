using Prunus.Tensors;

namespace Prunus.Graph.Passes;

/// <summary>
/// Folds an inference BatchNormalization into the Conv, Gemm or 2-D MatMul before it, when the producer's weights and
/// the normalization's scale, bias and running statistics are initializers: with a = scale/√(var + ε),
/// W'[k] = a[k]·W[k] and B'[k] = a[k]·(B[k] − mean[k]) + bias[k]. BN over a Gemm or MatMul normalizes its output
/// features (dimension 1), which are the product's columns; a MatMul becomes a Gemm to take the bias.
/// </summary>
public sealed class BatchNormFoldingPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "batchnorm-folding";

    /// <inheritdoc/>
    public bool ExportSafe => true;

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        var facts = ShapeFacts.Of(graph);
        var editor = new GraphEditor(graph);
        int count = 0;
        foreach (var bn in graph.Nodes.ToList())
        {
            if (editor.IsRemoved(bn) || bn.OpType != "BatchNormalization" || bn.Domain is not ("" or "ai.onnx")) continue;
            if (bn.InputOrNull(0) is not { } x || editor.Producer(x) is not { } producer || editor.IsRemoved(producer)
                || !AffineFolding.IsProducer(producer) || !InferenceOnly(editor, bn, graph.Metadata.Opset)) continue;
            if (AffineFolding.Output(editor, facts, producer) is not { Channels: var k }) continue;
            if (Parameters(editor, bn, k) is not var (scale, shift)) continue;
            if (AffineFolding.Fold(editor, facts, producer, bn, scale, shift)) count++;
        }
        editor.Commit();
        return count;
    }

    // Training mode and the optional statistics outputs make BN more than an affine map of its input.
    private static bool InferenceOnly(GraphEditor editor, Node bn, long opset)
    {
        if (bn.Attributes.GetValueOrDefault("training_mode")?.Int is { } t && t != 0) return false;
        if (opset < 9 && bn.Attributes.GetValueOrDefault("spatial")?.Int == 0) return false;
        for (int o = 1; o < bn.Outputs.Count; o++)
            if (bn.Outputs[o].Length > 0 && (editor.Consumers(bn.Outputs[o]).Count > 0 || editor.IsGraphOutput(bn.Outputs[o]))) return false;
        return true;
    }

    /// <summary>The per-channel a and b of y = a·x + b, from constant scale, bias, mean and variance; null if not constant.</summary>
    private static (double[] Scale, double[] Shift)? Parameters(GraphEditor editor, Node bn, int channels)
    {
        var p = new Tensor[4];
        for (int i = 0; i < 4; i++)
            if (editor.Initializer(bn.InputOrNull(i + 1)) is { Type: DataType.Float32 } t && t.Length == channels) p[i] = t;
            else return null;
        double epsilon = bn.Attributes.GetValueOrDefault("epsilon")?.Float ?? 1e-5f;
        var a = new double[channels];
        var b = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            a[c] = p[0].Floats[c] / Math.Sqrt(p[3].Floats[c] + epsilon);
            b[c] = p[1].Floats[c] - a[c] * p[2].Floats[c];
        }
        return (a, b);
    }
}
