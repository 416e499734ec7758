using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Tile: the input repeated repeats[d] times along each axis d (repeats is int64, known at plan time).</summary>
public sealed class TileOp : Operator
{
    public override string OpType => "Tile";
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        var repeats = Repeats(ctx);
        var shape = new int[x.Rank];
        for (int d = 0; d < shape.Length; d++)
        {
            long n = (long)x.Shape[d] * repeats[d];
            if (n > int.MaxValue) throw ctx.Error($"axis {d} would have {n} elements");
            shape[d] = (int)n;
        }
        try { ShapeMath.Size(shape); }
        catch (ArgumentException e) { throw ctx.Error(e.Message); }
        return [new TensorInfo(x.Type, shape)];
    }

    private static long[] Repeats(NodeContext ctx)
    {
        int rank = ctx.Input(0).Rank;
        var repeats = ShapeArgs.IntsFromInputOrAttribute(ctx, 1, "repeats") ?? throw ctx.Error("needs repeats (input 1)");
        if (repeats.Length != rank) throw ctx.Error($"repeats [{string.Join(",", repeats)}] has {repeats.Length} entries for an input of rank {rank}");
        if (repeats.Any(r => r < 0)) throw ctx.Error($"repeats [{string.Join(",", repeats)}] must not be negative");
        return repeats;
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        // The output [r0*d0, r1*d1, ...] read as [r0, d0, r1, d1, ...]: the repeat axes step nothing in the input.
        var input = ctx.Shape(0);
        var repeats = Repeats(ctx);
        var inStrides = ShapeMath.Strides(input);
        var shape = new int[2 * input.Length];
        var strides = new int[2 * input.Length];
        for (int d = 0; d < input.Length; d++)
        {
            shape[2 * d] = (int)repeats[d];
            shape[2 * d + 1] = input[d];
            strides[2 * d + 1] = inStrides[d];
        }
        var (walkShape, walkStrides) = DataMovement.Coalesce(shape, strides);
        return new TileKernel(walkShape, walkStrides);
    }

    private sealed class TileKernel(int[] shape, int[] strides) : Kernel
    {
        public override void Forward(RunContext ctx) => DataMovement.Gather(Inputs[0], 0, shape, strides, Outputs[0]);

        // Every copy's gradient adds into the one source element (the scatter runs in order, so repeats accumulate).
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            DataMovement.ScatterAdd(dy.Floats, dx.Floats, 0, shape, strides);
        }

        public override string Algorithm => "tile-strided";
    }
}
