using System.Numerics;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// CumSum: running sums of x along the axis given by input 1 (a scalar, read when the op runs); <c>exclusive</c> leaves
/// out the element itself, <c>reverse</c> sums from the end. The gradient is the running sum of dy the other way.
/// </summary>
public sealed class CumSumOp : Operator
{
    public override string OpType => "CumSum";
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Type is not (DataType.Float32 or DataType.Float64 or DataType.Int32 or DataType.Int64))
            throw ctx.Error($"input type {x.Type} is not supported (use Float32, Float64, Int32 or Int64)");
        var axis = ctx.Input(1);
        if (axis.Type is not (DataType.Int64 or DataType.Int32) || axis.Length != 1)
            throw ctx.Error($"axis (input 1) must be an int32 or int64 scalar, got {axis}");
        if (x.Rank == 0) throw ctx.Error("input must have rank at least 1");
        if (ctx.Constant(1) is { } a) ShapeArgs.Axis(ctx, a.ToInt64Array()[0], x.Rank);
        return [x];
    }

    public override Kernel CreateKernel(NodeContext ctx) =>
        new CumSumKernel(ctx.Node.Name, ctx.Shape(0), ctx.Int("exclusive", 0) != 0, ctx.Int("reverse", 0) != 0);

    private sealed class CumSumKernel(string node, int[] shape, bool exclusive, bool reverse) : Kernel
    {
        private int _outer, _n, _inner;

        public override void Forward(RunContext ctx)
        {
            Resolve();
            switch (Inputs[0].Type)
            {
                case DataType.Float32: Run<float>(); break;
                case DataType.Float64: Run<double>(); break;
                case DataType.Int64: Run<long>(); break;
                default: Run<int>(); break;
            }
        }

        private void Run<T>() where T : unmanaged, INumber<T> =>
            AxisSearch.CumulativeSum<T>(Inputs[0].Span<T>(), _outer, _n, _inner, exclusive, reverse, false, Outputs[0].Span<T>());

        // y_j sums x_i over i before j (or up to j), so dx_i sums dy_j over j after i (or from i): the same sum reversed.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            Resolve();
            AxisSearch.CumulativeSum<float>(dy.Floats, _outer, _n, _inner, exclusive, !reverse, true, dx.Floats);
        }

        // The axis is an input, so the [outer, n, inner] view is worked out on every run (without allocating).
        private void Resolve()
        {
            var t = Inputs[1];
            long axis = t.Type == DataType.Int64 ? t.Span<long>()[0] : t.Span<int>()[0];
            int rank = shape.Length;
            if (axis < -rank || axis >= rank) throw new DataException($"CumSum node '{node}': axis {axis} is out of range for rank {rank}");
            int a = (int)(axis < 0 ? axis + rank : axis);
            _outer = ShapeArgs.Product(shape, 0, a);
            _n = shape[a];
            _inner = ShapeArgs.Product(shape, a + 1, rank);
        }

        public override string Algorithm => "cumsum";
    }
}
