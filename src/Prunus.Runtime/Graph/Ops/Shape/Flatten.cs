using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Flatten: [d0..d(axis−1)] and [d(axis)..] each multiplied into one dimension, giving a matrix; a view.</summary>
public sealed class FlattenOp : Operator
{
    public override string OpType => "Flatten";
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    public override bool IsView(NodeContext ctx) => true;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var input = ctx.Input(0);
        int rank = input.Rank;
        long axis = ctx.Int("axis", 1);
        // The axis may equal the rank (then the output is [size, 1]).
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a > rank) throw ctx.Error($"axis {axis} is out of range for rank {rank} (accepted: [{-rank}, {rank}])");
        int outer = ShapeArgs.Product(input.Shape, 0, (int)a);
        int inner = ShapeArgs.Product(input.Shape, (int)a, rank);
        return [new TensorInfo(input.Type, [outer, inner])];
    }

    public override Kernel CreateKernel(NodeContext ctx) => new ViewKernel();
}
