using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>What a Reduce* op folds its axes with.</summary>
public enum ReduceKind { Sum, Mean, Max, Min, Prod, L2 }

/// <summary>
/// Shared by the Reduce* ops: axes from the attribute (older opsets) or the optional input 1 (ReduceSum from 13, the
/// others from 18), <c>keepdims</c> (default 1), and <c>noop_with_empty_axes</c> (no axes then means identity rather than all).
/// </summary>
public abstract class ReduceOperator : Operator
{
    /// <summary>The fold this op applies.</summary>
    protected abstract ReduceKind Kind { get; }

    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Type != DataType.Float32) throw ctx.Error($"supports float32 input only, got {x.Type}");
        var reduced = ReducedAxes(ctx);
        if (reduced is null) return [x];
        bool keep = ctx.Int("keepdims", 1) != 0;
        var shape = new List<int>();
        for (int d = 0; d < x.Rank; d++)
            if (!reduced[d]) shape.Add(x.Shape[d]);
            else if (keep) shape.Add(1);
        return [new TensorInfo(x.Type, shape.ToArray())];
    }

    /// <summary>Which input axes are reduced; null when the op is the identity (no axes and noop_with_empty_axes).</summary>
    private static bool[]? ReducedAxes(NodeContext ctx)
    {
        int rank = ctx.Input(0).Rank;
        var axes = ShapeArgs.IntsFromInputOrAttribute(ctx, 1, "axes");
        var reduced = new bool[rank];
        if (axes is null || axes.Length == 0)
        {
            if (ctx.Int("noop_with_empty_axes", 0) != 0) return null;
            Array.Fill(reduced, true);
            return reduced;
        }
        foreach (int a in ShapeArgs.Axes(ctx, axes, rank)) reduced[a] = true;
        return reduced;
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var shape = ctx.Shape(0);
        var reduced = ReducedAxes(ctx);
        if (reduced is null) return new ViewlessIdentityKernel();
        long count = 1;
        for (int d = 0; d < shape.Length; d++) if (reduced[d]) count *= shape[d];
        var (runs, runReduced) = AxisReduce.Layout(shape, reduced);
        return new ReduceKernel(Kind, runs, runReduced, count);
    }

    private sealed class ReduceKernel(ReduceKind kind, int[] shape, bool[] reduced, long count) : Kernel
    {
        public override void Forward(RunContext ctx)
        {
            var x = Inputs[0].Floats;
            var y = Outputs[0].Floats;
            switch (kind)
            {
                case ReduceKind.Sum: AxisReduce.Forward<RowReduce.Sum>(x, shape, reduced, y); break;
                case ReduceKind.Mean:
                    AxisReduce.Forward<RowReduce.Sum>(x, shape, reduced, y);
                    float inv = 1f / count;
                    for (int i = 0; i < y.Length; i++) y[i] *= inv;
                    break;
                case ReduceKind.Max: AxisReduce.Forward<RowReduce.Max>(x, shape, reduced, y); break;
                case ReduceKind.Min: AxisReduce.Forward<RowReduce.Min>(x, shape, reduced, y); break;
                case ReduceKind.Prod: AxisReduce.Forward<RowReduce.Product>(x, shape, reduced, y); break;
                case ReduceKind.L2:
                    AxisReduce.Forward<RowReduce.SumSquares>(x, shape, reduced, y);
                    for (int i = 0; i < y.Length; i++) y[i] = MathF.Sqrt(y[i]);
                    break;
            }
        }

        // Sum: every reduced element gets dy; Mean: dy / count. The other folds have no gradient rule here.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            float scale = kind switch
            {
                ReduceKind.Sum => 1f,
                ReduceKind.Mean => 1f / count,
                _ => throw new NotSupportedException($"Reduce{kind} has no gradient rule"),
            };
            AxisReduce.BroadcastAdd(dy.Floats, scale, shape, reduced, dx.Floats);
        }

        public override string Algorithm => $"reduce-{kind.ToString().ToLowerInvariant()}";
    }

    // noop_with_empty_axes with no axes: y = x. Not a view because the op is a view only in this corner case.
    private sealed class ViewlessIdentityKernel : Kernel
    {
        public override void Forward(RunContext ctx) => Outputs[0].CopyFrom(Inputs[0]);

        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            Elementwise.AddInPlace(dx.Floats, dy.Floats);
        }
    }
}
