using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Shape and plane loop shared by GlobalAveragePool and GlobalMaxPool: X [N,C,spatial...] to [N,C,1,...].</summary>
internal static class GlobalPoolShapes
{
    public static TensorInfo[] Infer(NodeContext ctx)
    {
        ctx.ExpectType(0, DataType.Float32);
        var x = ctx.Shape(0);
        if (x.Length < 3) throw ctx.Error($"X must be [N,C,spatial...] with at least one spatial axis, got {ShapeMath.Format(x)}");
        var y = x.ToArray();
        for (int i = 2; i < y.Length; i++) y[i] = 1;
        return [new TensorInfo(DataType.Float32, y)];
    }

    /// <summary>Planes (N*C) and plane size (product of the spatial axes).</summary>
    public static (int Planes, int Size) Planes(Tensor x) => (x.Shape[0] * x.Shape[1], x.Length / Math.Max(x.Shape[0] * x.Shape[1], 1));
}
