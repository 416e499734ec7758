using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// GatherElements: y[i..] = data[i.. with its <c>axis</c> coordinate replaced by indices[i..]]; y has the shape of
/// indices (torch.gather). Negative indices count from the end.
/// </summary>
public sealed class GatherElementsOp : Operator
{
    public override string OpType => "GatherElements";
    public override OpsetRange? Opsets => OpsetRange.Since(11);
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var data = ctx.Input(0);
        var indices = ctx.Input(1);
        if (indices.Type is not (DataType.Int64 or DataType.Int32)) throw ctx.Error($"indices must be int32 or int64, got {indices.Type}");
        if (data.Rank == 0) throw ctx.Error("data must have rank at least 1");
        if (indices.Rank != data.Rank) throw ctx.Error($"indices must have the rank of data ({data.Rank}), got shape {ShapeMath.Format(indices.Shape)}");
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", 0), data.Rank);
        for (int d = 0; d < data.Rank; d++)
            if (d != axis && indices.Shape[d] > data.Shape[d])
                throw ctx.Error($"indices {ShapeMath.Format(indices.Shape)} exceed data {ShapeMath.Format(data.Shape)} in dimension {d}");
        if (ctx.Constant(1) is { } constant) Normalize(ctx, constant, data.Shape[axis], new int[constant.Length]);
        return [new TensorInfo(data.Type, indices.Shape)];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var data = ctx.Shape(0);
        var indices = ctx.Shape(1);
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", 0), data.Length);
        return new GatherElementsKernel(ctx, BaseOffsets(data, indices, axis), data[axis], ShapeArgs.Product(data, axis + 1, data.Length));
    }

    /// <summary>For each element of indices, the offset in data of its coordinates with the axis coordinate at 0.</summary>
    private static int[] BaseOffsets(int[] data, int[] indices, int axis)
    {
        var strides = ShapeMath.Strides(data);
        var offsets = new int[ShapeMath.Size(indices)];
        var at = new int[indices.Length];
        for (int p = 0; p < offsets.Length; p++)
        {
            int offset = 0;
            for (int d = 0; d < at.Length; d++) if (d != axis) offset += at[d] * strides[d];
            offsets[p] = offset;
            for (int d = at.Length - 1; d >= 0; d--)
            {
                if (++at[d] < indices[d]) break;
                at[d] = 0;
            }
        }
        return offsets;
    }

    /// <summary>Copies <paramref name="indices"/> into <paramref name="normalized"/> in [0, n); throws for any out of range.</summary>
    private static void Normalize(NodeContext? ctx, Tensor indices, int n, int[] normalized, string node = "")
    {
        for (int j = 0; j < normalized.Length; j++)
        {
            long i = indices.Type == DataType.Int64 ? indices.Span<long>()[j] : indices.Span<int>()[j];
            if (i < -n || i >= n)
            {
                var message = $"index {i} (at position {j}) is out of range for an axis of length {n} (accepted: [{-n}, {n - 1}])";
                throw ctx is null ? new DataException($"GatherElements node '{node}': {message}") : ctx.Error(message);
            }
            normalized[j] = (int)(i < 0 ? i + n : i);
        }
    }

    private static void Gather<T>(ReadOnlySpan<T> x, ReadOnlySpan<int> offsets, ReadOnlySpan<int> index, int stride, Span<T> y)
    {
        for (int p = 0; p < y.Length; p++) y[p] = x[offsets[p] + index[p] * stride];
    }

    private sealed class GatherElementsKernel(NodeContext ctx, int[] offsets, int n, int stride) : Kernel
    {
        private readonly string _name = ctx.Node.Name;
        private readonly int[] _index = new int[offsets.Length];

        public override void Forward(RunContext run)
        {
            Normalize(null, Inputs[1], n, _index, _name);
            var x = Inputs[0];
            var y = Outputs[0];
            switch (x.Type.SizeOf())
            {
                case 1: Gather<byte>(DataMovement.As<byte>(x), offsets, _index, stride, DataMovement.As<byte>(y)); break;
                case 2: Gather<short>(DataMovement.As<short>(x), offsets, _index, stride, DataMovement.As<short>(y)); break;
                case 4: Gather<int>(DataMovement.As<int>(x), offsets, _index, stride, DataMovement.As<int>(y)); break;
                default: Gather<long>(DataMovement.As<long>(x), offsets, _index, stride, DataMovement.As<long>(y)); break;
            }
        }

        // Each element's gradient goes back to the element it came from; indices that repeat add up.
        public override void Backward(RunContext run)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            var g = dy.Floats;
            var d = dx.Floats;
            for (int p = 0; p < g.Length; p++) d[offsets[p] + _index[p] * stride] += g[p];
        }

        public override string Algorithm => "gather-elements";
    }
}
