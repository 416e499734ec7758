using Prunus.Graph.Ops;
using Prunus.Tensors;

namespace Prunus.Graph.Passes;

/// <summary>
/// Fuses a 2x2/stride-2 MaxPool into the QLinearFusedConv whose 8-bit output it reads, as <c>pooling = "max2x2"</c>
/// on the convolution (<see cref="PrunusDomain.PoolingAttribute"/>). The float-carried sparse kernel then pools each
/// image's sums before its output stage, which converts a quarter of the values, and the full-size 8-bit output is
/// never written or read back (LeNet-5's two conv/pool pairs after quantization); the other integer kernels pool their
/// output from scratch, as the MaxPool did. Fused only where the pool tiles the planes exactly (even height and width,
/// no pads, no dilation, no indices output). Exact: the output stage never decreases in the sum, so the stage of a
/// window's maximum is the maximum of the window's stages.
/// </summary>
/// <remarks>Not export-safe: QLinearFusedConv is Prunus's own op. Inference only.</remarks>
public sealed class QuantizedPoolFusionPass : IGraphPass
{
    /// <summary>Whether new pipelines fuse (false: for comparisons, e.g. `switch-ab FILE qpool`).</summary>
    internal static bool Enabled = true;

    /// <inheritdoc/>
    public string Name => "quantized-pool-fusion";

    /// <inheritdoc/>
    public bool ExportSafe => false;

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        if (!Enabled) return 0;
        var facts = ShapeFacts.Of(graph);
        var editor = new GraphEditor(graph);
        int count = 0;
        foreach (var pool in graph.Nodes.ToList())
        {
            if (editor.IsRemoved(pool) || !Patterns.Is(pool, "MaxPool") || !Is2x2Stride2(pool) || pool.InputOrNull(0) is not { } x) continue;
            if (editor.Producer(x) is not { } conv || !Poolable(conv) || !editor.OnlyFeeds(x, pool)) continue;
            if (facts.Type(x) is not (DataType.UInt8 or DataType.Int8)) continue;
            if (facts.Dims(x) is not [_, _, { } h, { } w] || h % 2 != 0 || w % 2 != 0 || h == 0 || w == 0) continue;
            editor.Remove(pool);
            editor.SetOutput(conv, 0, pool.Outputs[0]);
            conv.Attributes[PrunusDomain.PoolingAttribute] = AttributeValue.Of(PrunusDomain.MaxPool2x2);
            count++;
        }
        editor.Commit();
        return count;
    }

    /// <summary>A QLinearFusedConv with one output, not pooled yet, writing quantized bytes (not floats on the grid).</summary>
    private static bool Poolable(Node conv) =>
        conv.OpType == "QLinearFusedConv" && conv.Domain == PrunusDomain.Name && conv.Outputs.Count == 1
        && !conv.Attributes.ContainsKey(PrunusDomain.PoolingAttribute)
        && (conv.Attributes.GetValueOrDefault(QLinearFused.DequantizeAttribute)?.Int ?? 0) == 0;

    /// <summary>MaxPool with 2x2 windows, stride 2, no pads and no dilation (explicitly, or by auto_pad VALID).</summary>
    private static bool Is2x2Stride2(Node pool)
    {
        long[]? Ints(string name) => pool.Attributes.GetValueOrDefault(name)?.Ints;
        if (Ints("kernel_shape") is not [2, 2] || Ints("strides") is not [2, 2]) return false;
        if (Ints("dilations") is { } d && d.Any(v => v != 1)) return false;
        if (Ints("pads") is { } p && p.Any(v => v != 0)) return false;
        return pool.Attributes.GetValueOrDefault("auto_pad")?.String is null or "NOTSET" or "VALID";
    }
}
