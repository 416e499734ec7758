using System.Numerics;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// TopK: the k largest (or smallest, <c>largest</c> = 0) elements along <c>axis</c> (default -1) and their int64
/// positions, in sorted order; k is input 1 from opset 10 (known at plan time), attribute <c>k</c> before. The values'
/// gradient goes back to the positions they came from.
/// </summary>
public sealed class TopKOp : Operator
{
    public override string OpType => "TopK";
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Type == DataType.Bool) throw ctx.Error("input must be numeric, got Bool");
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", -1), x.Rank);
        int k = K(ctx, x.Shape[axis]);
        var shape = (int[])x.Shape.Clone();
        shape[axis] = k;
        return [new TensorInfo(x.Type, shape), new TensorInfo(DataType.Int64, (int[])shape.Clone())];
    }

    private static int K(NodeContext ctx, int n)
    {
        long k;
        if (ctx.HasInput(1))
        {
            var t = ctx.RequireConstant(1);
            if (t.Type is not (DataType.Int64 or DataType.Int32) || t.Length != 1)
                throw ctx.Error($"k (input 1) must be a single int64, got {t.Type}{ShapeMath.Format(t.Shape)}");
            k = t.ToInt64Array()[0];
        }
        else if (ctx.HasAttribute("k")) k = ctx.Int("k", 0);
        else throw ctx.Error("needs k (attribute before opset 10, input 1 from 10)");
        if (k < 0 || k > n) throw ctx.Error($"k = {k} is outside [0, {n}], the length of the axis");
        return (int)k;
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var shape = ctx.Shape(0);
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", -1), shape.Length);
        int n = shape[axis];
        // An output left unnamed still gets computed, into scratch of its own.
        bool Named(int i) => i < ctx.Node.Outputs.Count && ctx.Node.Outputs[i].Length > 0;
        var geometry = new Geometry(ShapeArgs.Product(shape, 0, axis), n, ShapeArgs.Product(shape, axis + 1, shape.Length), K(ctx, n),
            ctx.Int("largest", 1) != 0, Named(0) ? null : ctx.OutputInfos[0], Named(1) ? null : ctx.OutputInfos[1]);
        return ctx.Input(0).Type switch
        {
            DataType.Float32 => new TopKKernel<float>(geometry),
            DataType.Float64 => new TopKKernel<double>(geometry),
            DataType.Int64 => new TopKKernel<long>(geometry),
            DataType.Int32 => new TopKKernel<int>(geometry),
            DataType.Int8 or DataType.Int4 => new TopKKernel<sbyte>(geometry),
            DataType.Int16 => new TopKKernel<short>(geometry),
            DataType.UInt16 => new TopKKernel<ushort>(geometry),
            _ => new TopKKernel<byte>(geometry),
        };
    }

    /// <summary>x viewed as [outer, n, inner], k picked along n.</summary>
    private sealed record Geometry(int Outer, int N, int Inner, int K, bool Largest, TensorInfo? OwnValues, TensorInfo? OwnIndices);

    private sealed class TopKKernel<T>(Geometry g) : Kernel where T : unmanaged, INumber<T>
    {
        private readonly T[] _keys = new T[g.N];
        private readonly int[] _heap = new int[g.K];
        private readonly Tensor? _values = g.OwnValues is { } v ? Tensor.Zeros(v.Type, v.Shape) : null;
        private readonly Tensor? _indices = g.OwnIndices is { } i ? Tensor.Zeros(i.Type, i.Shape) : null;

        private Tensor Values => _values ?? Outputs[0];
        private Tensor Indices => _indices ?? Outputs[1];

        // Ties keep the order of position, so 'sorted' = 0 (any order allowed) is served by the sorted result too.
        public override void Forward(RunContext ctx) =>
            AxisSearch.TopK<T>(Inputs[0].Span<T>(), g.Outer, g.N, g.Inner, g.K, g.Largest, Values.Span<T>(), Indices.Span<long>(), _keys, _heap);

        // dx[o, index[o, r, i], i] += dvalues[o, r, i].
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dxT || OutputGrads[0] is not { } dyT) return;
            var dx = dxT.Floats;
            var dy = dyT.Floats;
            var index = Indices.Span<long>();
            for (int o = 0; o < g.Outer; o++)
                for (int r = 0; r < g.K; r++)
                    for (int i = 0; i < g.Inner; i++)
                    {
                        int at = (o * g.K + r) * g.Inner + i;
                        dx[(o * g.N + (int)index[at]) * g.Inner + i] += dy[at];
                    }
        }

        public override string Algorithm => "topk-sort";
    }
}
