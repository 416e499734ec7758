using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Transpose: y[i_0..i_{r−1}] = x at index i permuted back, i.e. output axis d is input axis perm[d] (default: reversed).</summary>
public sealed class TransposeOp : Operator
{
    public override string OpType => "Transpose";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var input = ctx.Input(0);
        var perm = Permutation(ctx, input.Rank);
        return [new TensorInfo(input.Type, perm.Select(p => input.Shape[p]).ToArray())];
    }

    // A permutation that only moves size-1 axes leaves the data in place.
    public override bool IsView(NodeContext ctx) => Walk(ctx).Strides is [] or [1];

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var (shape, strides) = Walk(ctx);
        return new TransposeKernel(shape, strides);
    }

    private static int[] Permutation(NodeContext ctx, int rank)
    {
        var perm = ctx.Ints("perm");
        if (perm is null) return Enumerable.Range(0, rank).Reverse().ToArray();
        if (perm.Length != rank) throw ctx.Error($"perm [{string.Join(",", perm)}] has {perm.Length} entries for an input of rank {rank}");
        return ShapeArgs.Axes(ctx, perm, rank, "perm");
    }

    // The output read as a strided walk over the input: output axis d steps input axis perm[d].
    private static (int[] Shape, int[] Strides) Walk(NodeContext ctx)
    {
        var input = ctx.Input(0);
        var perm = Permutation(ctx, input.Rank);
        var inStrides = ShapeMath.Strides(input.Shape);
        return DataMovement.Coalesce(perm.Select(p => input.Shape[p]).ToArray(), perm.Select(p => inStrides[p]).ToArray());
    }

    private sealed class TransposeKernel(int[] shape, int[] strides) : Kernel
    {
        public override void Forward(RunContext ctx) => DataMovement.Gather(Inputs[0], 0, shape, strides, Outputs[0]);

        // Each output element came from one input element: scatter dy back along the same walk.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            DataMovement.ScatterAdd(dy.Floats, dx.Floats, 0, shape, strides);
        }

        public override string Algorithm => "transpose-strided";
    }
}
