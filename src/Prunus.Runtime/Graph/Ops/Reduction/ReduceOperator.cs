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

    // With noop_with_empty_axes and no axes the op is the identity, so its output can alias the input.
    public override bool IsView(NodeContext ctx) => ReducedAxes(ctx) is null;

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
        if (reduced is null) return new ViewKernel();
        long count = 1;
        for (int d = 0; d < shape.Length; d++) if (reduced[d]) count *= shape[d];
        var (runs, runReduced) = AxisReduce.Layout(shape, reduced);
        return new ReduceKernel(Kind, runs, runReduced, count, ctx.OutputInfos[0].Length);
    }

    private sealed class ReduceKernel(ReduceKind kind, int[] shape, bool[] reduced, long count, int outputs) : Kernel
    {
        // Backward scratch per output (tie counts for max/min; nonzero products and zero counts for prod), made on first use.
        private float[]? _ties;
        private double[]? _nonzero;
        private int[]? _zeros;

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

        // Sum: every reduced element gets dy; Mean: dy / count; Max and Min: the selected elements (ties share);
        // L2: dy·x/y; Prod: dy times the product of the other elements.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            var x = Inputs[0].Floats;
            var y = Outputs[0].Floats;
            switch (kind)
            {
                case ReduceKind.Sum: AxisReduce.BroadcastAdd(dy.Floats, 1f, shape, reduced, dx.Floats); break;
                case ReduceKind.Mean: AxisReduce.BroadcastAdd(dy.Floats, 1f / count, shape, reduced, dx.Floats); break;
                case ReduceKind.Max or ReduceKind.Min:
                    AxisReduce.SelectBackward(x, y, dy.Floats, shape, reduced, dx.Floats, _ties ??= new float[outputs]);
                    break;
                case ReduceKind.L2: AxisReduce.L2Backward(x, y, dy.Floats, shape, reduced, dx.Floats); break;
                case ReduceKind.Prod:
                    AxisReduce.ProductBackward(x, dy.Floats, shape, reduced, dx.Floats, _nonzero ??= new double[outputs], _zeros ??= new int[outputs]);
                    break;
            }
        }

        public override string Algorithm => $"reduce-{kind.ToString().ToLowerInvariant()}";
    }
}
