using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>The convolution geometry of ConvInteger and QLinearConv: Conv's attributes over X [N,C,spatial...] and W [M,C/group,kernel...].</summary>
internal static class IntegerConvShapes
{
    /// <summary>Checks X (input <paramref name="xInput"/>), W (<paramref name="wInput"/>) and the attributes; the geometry of any spatial rank.</summary>
    public static WindowGeometryNd Resolve(NodeContext ctx, int xInput, int wInput)
    {
        var x = ctx.Shape(xInput);
        var w = ctx.Shape(wInput);
        if (x.Length < 3) throw ctx.Error($"x must be [N,C,spatial...] with at least one spatial axis, got {ShapeMath.Format(x)}");
        if (w.Length != x.Length) throw ctx.Error($"w {ShapeMath.Format(w)} must have the rank of x {ShapeMath.Format(x)}");
        long group = ctx.Int("group", 1);
        int c = x[1], k = w[0];
        if (group < 1 || c % group != 0 || k % group != 0)
            throw ctx.Error($"group {group} must be positive and divide the input channels {c} and the output channels {k}");
        if (w[1] * group != c)
            throw ctx.Error($"w {ShapeMath.Format(w)} expects {w[1]}x{group} = {w[1] * group} input channels (group {group}) but x {ShapeMath.Format(x)} has {c}");
        var win = WindowAttributes.Read(ctx, x.Length - 2, w[2..]);
        var output = win.ResolveOutput(ctx, x.AsSpan(2));
        return win.GeometryNd(x[0], c, x[2..], k, (int)group, output);
    }

    /// <summary>[N, M, output...].</summary>
    public static int[] OutputShape(WindowGeometryNd g) => [g.N, g.K, .. g.Output];
}
