using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Reading and checking the integer arguments of shape ops (axes, sizes) from attributes or constant inputs.</summary>
internal static class ShapeArgs
{
    /// <summary>
    /// An integer list that ONNX moved from attribute <paramref name="attribute"/> to input <paramref name="input"/>:
    /// the input when present (it must be known at plan time), else the attribute, else null.
    /// Reading both forms, whatever the opset, accepts models whose exporters mixed them.
    /// </summary>
    public static long[]? IntsFromInputOrAttribute(NodeContext ctx, int input, string attribute)
    {
        if (ctx.HasInput(input))
        {
            var t = ctx.RequireConstant(input);
            if (t.Type is not (DataType.Int64 or DataType.Int32))
                throw ctx.Error($"input {input} ('{attribute}') must be int64, got {t.Type}");
            if (t.Rank > 1) throw ctx.Error($"input {input} ('{attribute}') must be 1-D, got shape {ShapeMath.Format(t.Shape)}");
            return t.ToInt64Array();
        }
        return ctx.Ints(attribute);
    }

    /// <summary>Normalizes a possibly negative axis into [0, rank); throws a node error if out of range.</summary>
    public static int Axis(NodeContext ctx, long axis, int rank, string what = "axis")
    {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= rank) throw ctx.Error($"{what} {axis} is out of range for rank {rank} (accepted: [{-rank}, {rank - 1}])");
        return (int)a;
    }

    /// <summary>Normalizes a list of axes against <paramref name="rank"/>; throws on out-of-range or repeated axes.</summary>
    public static int[] Axes(NodeContext ctx, long[] axes, int rank, string what = "axes")
    {
        var r = new int[axes.Length];
        for (int i = 0; i < axes.Length; i++)
        {
            r[i] = Axis(ctx, axes[i], rank);
            for (int j = 0; j < i; j++)
                if (r[j] == r[i]) throw ctx.Error($"{what} [{string.Join(",", axes)}] name axis {r[i]} twice");
        }
        return r;
    }

    /// <summary>Product of shape[from..to).</summary>
    public static int Product(ReadOnlySpan<int> shape, int from, int to)
    {
        long p = 1;
        for (int d = from; d < to; d++) p *= shape[d];
        return checked((int)p);
    }
}

/// <summary>
/// The kernel of every view op: the planner aliases the output to the input and skips Forward, so Forward only runs
/// when the node is folded at plan time (then it copies). Backward adds dy into dx, since the view's gradient is dy reshaped.
/// </summary>
internal sealed class ViewKernel : Kernel
{
    public override void Forward(RunContext ctx)
    {
        var x = Inputs[0];
        var y = Outputs[0];
        if (ReferenceEquals(x.Storage, y.Storage) && x.Offset == y.Offset) return;
        Array.Copy(x.Storage, x.Offset, y.Storage, y.Offset, y.Length);
    }

    public override void Backward(RunContext ctx)
    {
        if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
        Kernels.Elementwise.AddInPlace(dx.Floats, dy.Floats);
    }

    public override string Algorithm => "view";
}
