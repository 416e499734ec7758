using Prunus.Tensors;

namespace Prunus.Graph.Passes;

/// <summary>
/// Folds a per-channel affine map z = scale[c]·y + shift[c], applied to the output y of a Conv, Gemm or 2-D MatMul
/// along output dimension 1 (a convolution's output channels, a matrix product's columns), into the producer's
/// weights and bias. Shared by the BatchNormalization and the bias folding passes. Arithmetic is in double, rounded once.
/// </summary>
internal static class AffineFolding
{
    /// <summary>Whether <paramref name="node"/> is a producer this folding handles.</summary>
    public static bool IsProducer(Node node) => node.Domain is "" or "ai.onnx" && node.OpType is "Conv" or "Gemm" or "MatMul";

    /// <summary>
    /// The rank of the producer's output and its number of channels (output dimension 1), when its weights are
    /// initializers of a form the folding handles; null otherwise.
    /// </summary>
    public static (int Rank, int Channels)? Output(GraphEditor editor, ShapeFacts facts, Node producer)
    {
        if (editor.Initializer(producer.InputOrNull(1)) is not { Type: DataType.Float32 } w) return null;
        switch (producer.OpType)
        {
            case "Conv":
                return w.Rank >= 3 ? (w.Rank, w.Shape[0]) : null;
            case "Gemm":
                if (w.Rank != 2) return null;
                return (2, producer.Attributes.GetValueOrDefault("transB")?.Int is 1 ? w.Shape[0] : w.Shape[1]);
            case "MatMul":
                // Only a 2-D product has its columns on dimension 1 (and becomes a Gemm).
                return w.Rank == 2 && producer.InputOrNull(0) is { } a && facts.Rank(a) == 2 ? (2, w.Shape[1]) : null;
            default:
                return null;
        }
    }

    /// <summary>
    /// <paramref name="c"/> as one value per channel when it broadcasts along output dimension 1 only (all its other
    /// dimensions are 1, and it has no more dimensions than the output), so that y op c keeps y's shape; else null.
    /// </summary>
    public static double[]? PerChannel(Tensor? c, int outputRank, int channels)
    {
        if (c is null || c.Type != DataType.Float32 || c.Rank > outputRank) return null;
        int channelDim = -1;
        for (int j = 0; j < c.Rank; j++)
        {
            int position = outputRank - c.Rank + j;
            if (c.Shape[j] == 1) continue;
            if (position != 1 || c.Shape[j] != channels) return null;
            channelDim = j;
        }
        var v = new double[channels];
        var data = c.Floats;
        for (int k = 0; k < channels; k++) v[k] = data[channelDim < 0 ? 0 : k];
        return v;
    }

    /// <summary>
    /// Folds z = scale·y + shift (scale null means 1) into <paramref name="producer"/>, whose output y only
    /// <paramref name="consumer"/> reads, and removes the consumer: the producer then writes the consumer's output 0.
    /// Returns false, changing nothing, when the producer's weights or bias are not of a foldable form.
    /// </summary>
    public static bool Fold(GraphEditor editor, ShapeFacts facts, Node producer, Node consumer, double[]? scale, double[] shift)
    {
        if (Output(editor, facts, producer) is not { Channels: var k } || shift.Length != k || scale is { Length: var s } && s != k) return false;
        if (!editor.OnlyFeeds(producer.Outputs[0], consumer)) return false;
        var w = editor.Initializer(producer.Inputs[1])!;
        var folded = producer.OpType == "Conv" ? FoldConv(editor, producer, w, scale, shift) : FoldProduct(editor, producer, w, scale, shift);
        if (folded is null) return false;
        editor.Remove(consumer);
        editor.SetOutput(folded, 0, consumer.Outputs[0]);
        return true;
    }

    /// <summary>A name for a new bias beside weight <paramref name="weight"/>: "conv1.weight" gives "conv1.bias".</summary>
    public static string BiasName(string weight) =>
        weight.EndsWith(".weight", StringComparison.Ordinal) ? weight[..^".weight".Length] + ".bias" : weight + "_bias";

    // Conv: W [K, C/group, kernel...] scales along K; B [K] (absent: 0) becomes scale·B + shift.
    private static Node? FoldConv(GraphEditor editor, Node conv, Tensor w, double[]? scale, double[] shift)
    {
        int k = w.Shape[0];
        var b = conv.InputOrNull(2);
        var bias = b is null ? null : editor.Initializer(b);
        if (b is not null && (bias is null || bias.Type != DataType.Float32 || bias.Length != k)) return null;
        if (scale is not null)
        {
            var scaled = Tensor.Zeros(w.Shape);
            int per = w.Length / Math.Max(k, 1);
            var src = w.Floats;
            var dst = scaled.Floats;
            for (int i = 0; i < w.Length; i++) dst[i] = (float)(src[i] * scale[i / per]);
            editor.SetInput(conv, 1, editor.ReplaceInitializer(conv.Inputs[1], conv, scaled));
        }
        var newBias = Tensor.Zeros(k);
        for (int c = 0; c < k; c++) newBias.Floats[c] = (float)((bias is null ? 0 : bias.Floats[c]) * (scale?[c] ?? 1) + shift[c]);
        editor.SetInput(conv, 2, b is null ? editor.AddInitializer(BiasName(conv.Inputs[1]), newBias) : editor.ReplaceInitializer(b, conv, newBias));
        return conv;
    }

    // Gemm or 2-D MatMul: Y[M,N] = alpha·A·op(B) + beta·C. Column n of op(B) scales by scale[n]; C (absent, a scalar
    // or one value per column) becomes scale·beta·C + shift with beta = 1. A MatMul becomes a Gemm, which is returned.
    private static Node? FoldProduct(GraphEditor editor, Node node, Tensor w, double[]? scale, double[] shift)
    {
        bool gemm = node.OpType == "Gemm";
        bool transB = gemm && node.Attributes.GetValueOrDefault("transB")?.Int is 1;
        int n = transB ? w.Shape[0] : w.Shape[1];
        double beta = gemm ? node.Attributes.GetValueOrDefault("beta")?.Float ?? 1f : 1;
        var c = gemm ? node.InputOrNull(2) : null;
        var bias = c is null ? null : editor.Initializer(c);
        var cValues = c is null ? new double[n] : PerChannel(bias, 2, n);
        if (cValues is null) return null;

        var target = node;
        if (!gemm)
        {
            // The same product as a Gemm, which has a bias input; it takes the MatMul's place and name.
            target = new Node("Gemm", node.Name, [node.Inputs[0], node.Inputs[1]], [node.Outputs[0]]) { DocString = node.DocString };
            editor.Add(target, before: node);
            editor.Remove(node);
        }
        if (scale is not null)
        {
            var scaled = Tensor.Zeros(w.Shape);
            var src = w.Floats;
            var dst = scaled.Floats;
            for (int i = 0; i < w.Length; i++) dst[i] = (float)(src[i] * scale[transB ? i / w.Shape[1] : i % w.Shape[1]]);
            editor.SetInput(target, 1, editor.ReplaceInitializer(target.Inputs[1], target, scaled));
        }
        var newBias = Tensor.Zeros(n);
        for (int j = 0; j < n; j++) newBias.Floats[j] = (float)(beta * cValues[j] * (scale?[j] ?? 1) + shift[j]);
        editor.SetInput(target, 2, c is not null && bias!.Rank == 1 && bias.Length == n
            ? editor.ReplaceInitializer(c, target, newBias)
            : editor.AddInitializer(BiasName(target.Inputs[1]), newBias));
        if (gemm) target.Attributes["beta"] = AttributeValue.Of(1f);
        return target;
    }
}
