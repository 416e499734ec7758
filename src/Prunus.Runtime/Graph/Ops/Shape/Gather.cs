using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Gather: y[a.., j.., b..] = data[a.., indices[j..], b..] along <c>axis</c>; negative indices count from the end.</summary>
public sealed class GatherOp : Operator
{
    public override string OpType => "Gather";
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var data = ctx.Input(0);
        var indices = ctx.Input(1);
        if (indices.Type is not (DataType.Int64 or DataType.Int32)) throw ctx.Error($"indices must be int32 or int64, got {indices.Type}");
        if (data.Rank == 0) throw ctx.Error("data must have rank at least 1");
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", 0), data.Rank);
        if (ctx.Constant(1) is { } constant) Normalize(ctx, constant, data.Shape[axis], new int[constant.Length]);
        var shape = data.Shape[..axis].Concat(indices.Shape).Concat(data.Shape[(axis + 1)..]).ToArray();
        return [new TensorInfo(data.Type, shape)];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var data = ctx.Shape(0);
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", 0), data.Length);
        return new GatherKernel(ctx, ShapeArgs.Product(data, 0, axis), data[axis], ShapeArgs.Product(data, axis + 1, data.Length), ctx.Input(1).Length);
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
                throw ctx is null ? new DataException($"Gather node '{node}': {message}") : ctx.Error(message);
            }
            normalized[j] = (int)(i < 0 ? i + n : i);
        }
    }

    private sealed class GatherKernel(NodeContext ctx, int outer, int n, int inner, int count) : Kernel
    {
        private readonly string _name = ctx.Node.Name;
        private readonly int[] _index = new int[count];

        public override void Forward(RunContext run)
        {
            Normalize(null, Inputs[1], n, _index, _name);
            var x = Inputs[0];
            var y = Outputs[0];
            switch (x.Type.SizeOf())
            {
                case 1: IndexedMovement.GatherBlocks<byte>(DataMovement.As<byte>(x), outer, n, inner, _index, DataMovement.As<byte>(y)); break;
                case 2: IndexedMovement.GatherBlocks<short>(DataMovement.As<short>(x), outer, n, inner, _index, DataMovement.As<short>(y)); break;
                case 4: IndexedMovement.GatherBlocks<int>(DataMovement.As<int>(x), outer, n, inner, _index, DataMovement.As<int>(y)); break;
                default: IndexedMovement.GatherBlocks<long>(DataMovement.As<long>(x), outer, n, inner, _index, DataMovement.As<long>(y)); break;
            }
        }

        // Each gathered block's gradient goes back to the block it came from; indices that repeat add up.
        public override void Backward(RunContext run)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            IndexedMovement.ScatterAddBlocks(dy.Floats, outer, n, inner, _index, dx.Floats);
        }

        public override string Algorithm => "gather-blocks";
    }
}
