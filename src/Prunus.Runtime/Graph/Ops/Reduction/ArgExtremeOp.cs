using System.Numerics;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Base of ArgMax and ArgMin: the int64 position of the extreme along <c>axis</c> (default 0), that axis kept as 1
/// (<c>keepdims</c>, default 1) or removed; ties go to the first position, or the last with <c>select_last_index</c>.
/// </summary>
public abstract class ArgExtremeOp : Operator
{
    /// <summary>True for ArgMax, false for ArgMin.</summary>
    protected abstract bool Max { get; }

    /// <inheritdoc/>
    public override bool IsDifferentiable(int index) => false;

    /// <inheritdoc/>
    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Type == DataType.Bool) throw ctx.Error("input must be numeric, got Bool");
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", 0), x.Rank);
        if (x.Shape[axis] == 0) throw ctx.Error($"axis {axis} is empty, so it has no extreme");
        var shape = x.Shape.ToList();
        if (ctx.Int("keepdims", 1) != 0) shape[axis] = 1;
        else shape.RemoveAt(axis);
        return [new TensorInfo(DataType.Int64, shape.ToArray())];
    }

    /// <inheritdoc/>
    public override Kernel CreateKernel(NodeContext ctx)
    {
        var shape = ctx.Shape(0);
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", 0), shape.Length);
        return new ArgKernel(Max, ctx.Int("select_last_index", 0) != 0,
            ShapeArgs.Product(shape, 0, axis), shape[axis], ShapeArgs.Product(shape, axis + 1, shape.Length));
    }

    private sealed class ArgKernel(bool max, bool last, int outer, int n, int inner) : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx)
        {
            switch (Inputs[0].Type)
            {
                case DataType.Float32: Run<float>(); break;
                case DataType.Float64: Run<double>(); break;
                case DataType.Int64: Run<long>(); break;
                case DataType.Int32: Run<int>(); break;
                case DataType.Int8 or DataType.Int4: Run<sbyte>(); break;
                case DataType.Int16: Run<short>(); break;
                case DataType.UInt16: Run<ushort>(); break;
                default: Run<byte>(); break;
            }
        }

        private void Run<T>() where T : unmanaged, INumber<T> =>
            AxisSearch.ArgExtreme<T>(Inputs[0].Span<T>(), outer, n, inner, max, last, Outputs[0].Span<long>());

        public override string Algorithm => max ? "argmax" : "argmin";
    }
}
