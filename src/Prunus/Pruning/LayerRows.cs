using Prunus.Graph;
using Prunus.Graph.Ops;
using Prunus.Graph.Planning;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Pruning;

/// <summary>
/// Cuts a layer's input activation into the rows its weight matrix multiplies, in the column order of
/// <see cref="PrunableLayer"/>'s reduction index: a Gemm's input rows (columns when transA), a MatMul's last-axis
/// vectors (every position of every batch entry), and a Conv's im2col columns, one per output position and group, whose
/// entry j = c*T + t (c the channel within the group, t the kernel tap in row-major order, T the taps) reads the input
/// at that tap, or 0 in the padding. That order is the weight's memory order per output channel.
/// </summary>
internal sealed class LayerRows
{
    /// <summary>Rows handed to the statistics at a time.</summary>
    public const int BlockRows = 256;
    private readonly WindowGeometryNd? _conv;
    private readonly bool _transA;

    public PrunableLayer Layer { get; }

    private LayerRows(PrunableLayer layer, WindowGeometryNd? conv, bool transA)
    {
        Layer = layer;
        _conv = conv;
        _transA = transA;
    }

    /// <summary>The row source of <paramref name="layer"/>, with shapes from <paramref name="plan"/>.</summary>
    public static LayerRows For(PrunableLayer layer, Plan plan)
    {
        var node = layer.Node;
        if (!plan.Infos.TryGetValue(layer.InputName, out var x))
            throw new ModelException($"layer '{layer.Name}': its input '{layer.InputName}' has no shape in the plan");
        switch (layer.Kind)
        {
            case LayerKind.Gemm:
            {
                bool transA = node.Attributes.TryGetValue("transA", out var t) && t.Int != 0;
                if (x.Shape.Length != 2 || x.Shape[transA ? 0 : 1] != layer.Reduction)
                    throw new ModelException($"layer '{layer.Name}': Gemm input {ShapeMath.Format(x.Shape)} does not match the weight's {layer.Reduction} inputs");
                return new LayerRows(layer, null, transA);
            }
            case LayerKind.MatMul:
                if (x.Shape.Length < 1 || x.Shape[^1] != layer.Reduction)
                    throw new ModelException($"layer '{layer.Name}': MatMul input {ShapeMath.Format(x.Shape)} does not end in the weight's {layer.Reduction} inputs");
                return new LayerRows(layer, null, false);
            default:
            {
                var w = layer.Weight.Shape;
                var ctx = new NodeContext(node, [x, new TensorInfo(DataType.Float32, w)], [null, null], false, false, plan.Graph.Metadata.Opset);
                int rank = x.Shape.Length - 2;
                if (rank < 1 || w.Length != x.Shape.Length) throw ctx.Error($"input {ShapeMath.Format(x.Shape)} does not fit weight {ShapeMath.Format(w)}");
                var win = WindowAttributes.Read(ctx, rank, w[2..]);
                var spatial = x.Shape[2..];
                var output = win.ResolveOutput(ctx, spatial);
                var g = win.GeometryNd(x.Shape[0], x.Shape[1], spatial, w[0], layer.Groups, output);
                if (g.Cg * g.TapCount != layer.Reduction) throw ctx.Error($"the im2col rows ({g.Cg} x {g.TapCount}) do not match the weight's reduction {layer.Reduction}");
                return new LayerRows(layer, g, false);
            }
        }
    }

    /// <summary>
    /// Feeds the rows of the first <paramref name="images"/> batch entries of <paramref name="x"/> to <paramref name="sink"/>,
    /// through <paramref name="scratch"/> (at least <see cref="BlockRows"/> x Reduction, shared by the layers).
    /// </summary>
    public void Feed(Tensor x, int images, StatisticsAccumulator sink, double[] scratch)
    {
        var block = scratch;
        int r = Layer.Reduction;
        var data = x.Floats;
        int batch = x.Rank == 0 ? 1 : x.Shape[0];
        if (_conv is { } g)
        {
            FeedConv(g, data, Math.Min(images, batch), sink, block);
            return;
        }
        if (_transA)
        {
            // A [K, M]: row m is column m (the batch runs along M).
            int m = x.Shape[1];
            int rows = Math.Min(images, m);
            for (int r0 = 0; r0 < rows; r0 += BlockRows)
            {
                int n = Math.Min(BlockRows, rows - r0);
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < r; j++) block[i * r + j] = data[j * m + r0 + i];
                sink.Add(0, block, n);
            }
            return;
        }
        // Every vector along the last axis of the first `images` batch entries is a row.
        long total = x.Rank <= 1 ? data.Length / r : (long)Math.Min(images, batch) * (data.Length / Math.Max(batch, 1)) / r;
        for (long r0 = 0; r0 < total; r0 += BlockRows)
        {
            int n = (int)Math.Min(BlockRows, total - r0);
            var src = data.Slice((int)(r0 * r), n * r);
            for (int k = 0; k < src.Length; k++) block[k] = src[k];
            sink.Add(0, block, n);
        }
    }

    private void FeedConv(WindowGeometryNd g, ReadOnlySpan<float> x, int images, StatisticsAccumulator sink, double[] block)
    {
        int taps = g.TapCount, cg = g.Cg, r = Layer.Reduction, outPlane = g.OutPlane, inPlane = g.InPlane;
        var tapIndex = g.Taps;
        for (int n = 0; n < images; n++)
            for (int group = 0; group < g.Groups; group++)
                for (int o0 = 0; o0 < outPlane; o0 += BlockRows)
                {
                    int count = Math.Min(BlockRows, outPlane - o0);
                    for (int i = 0; i < count; i++)
                    {
                        int o = o0 + i;
                        var row = block.AsSpan(i * r, r);
                        for (int c = 0; c < cg; c++)
                        {
                            var plane = x.Slice(((n * g.C) + group * cg + c) * inPlane, inPlane);
                            for (int t = 0; t < taps; t++)
                            {
                                int at = tapIndex[o * taps + t];
                                row[c * taps + t] = at < 0 ? 0 : plane[at];
                            }
                        }
                    }
                    sink.Add(group, block, count);
                }
    }
}
