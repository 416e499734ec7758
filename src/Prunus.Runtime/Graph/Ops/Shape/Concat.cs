using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Concat: the inputs joined along <c>axis</c>; all other dimensions must agree.</summary>
public sealed class ConcatOp : Operator
{
    public override string OpType => "Concat";
    // axis optional with default 1 before opset 4, required from 4.
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    private static long AxisAttribute(NodeContext ctx) =>
        ctx.HasAttribute("axis") ? ctx.Int("axis", 0) : ctx.Opset < 4 ? 1 : throw ctx.Error("needs the 'axis' attribute");

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        if (ctx.InputCount == 0) throw ctx.Error("needs at least one input");
        var first = ctx.Input(0);
        int axis = ShapeArgs.Axis(ctx, AxisAttribute(ctx), first.Rank);
        var shape = (int[])first.Shape.Clone();
        long sum = 0;
        for (int i = 0; i < ctx.InputCount; i++)
        {
            var t = ctx.Input(i);
            if (t.Type != first.Type) throw ctx.Error($"input {i} is {t.Type} but input 0 is {first.Type}");
            if (t.Rank != first.Rank) throw ctx.Error($"input {i} has shape {ShapeMath.Format(t.Shape)}, of another rank than input 0's {ShapeMath.Format(first.Shape)}");
            for (int d = 0; d < t.Rank; d++)
                if (d != axis && t.Shape[d] != first.Shape[d])
                    throw ctx.Error($"input {i} has shape {ShapeMath.Format(t.Shape)}, which differs from input 0's {ShapeMath.Format(first.Shape)} outside axis {axis}");
            sum += t.Shape[axis];
        }
        shape[axis] = checked((int)sum);
        return [new TensorInfo(first.Type, shape)];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var outShape = ctx.OutputInfos[0].Shape;
        int axis = ShapeArgs.Axis(ctx, AxisAttribute(ctx), outShape.Length);
        int outer = ShapeArgs.Product(outShape, 0, axis);
        int innerSize = ShapeArgs.Product(outShape, axis + 1, outShape.Length);
        // Per input: its block (its axis length times the inner size) and where the block starts in an output row.
        var blocks = new int[ctx.InputCount];
        var starts = new int[ctx.InputCount];
        for (int i = 0, at = 0; i < blocks.Length; i++)
        {
            blocks[i] = ctx.Shape(i)[axis] * innerSize;
            starts[i] = at;
            at += blocks[i];
        }
        return new ConcatKernel(outer, outShape[axis] * innerSize, blocks, starts);
    }

    private sealed class ConcatKernel(int outer, int row, int[] blocks, int[] starts) : Kernel
    {
        public override void Forward(RunContext ctx)
        {
            int size = Outputs[0].Type.SizeOf();
            var dst = DataMovement.Bytes(Outputs[0]);
            for (int i = 0; i < blocks.Length; i++)
                DataMovement.CopyBlocks<byte>(DataMovement.Bytes(Inputs[i]), blocks[i] * size, 0, dst, row * size, starts[i] * size, outer, blocks[i] * size);
        }

        // Each input's gradient is its block of dy.
        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is not { } dy) return;
            for (int i = 0; i < blocks.Length; i++)
                if (InputGrads[i] is { } dx)
                    DataMovement.AddBlocks(dy.Floats, row, starts[i], dx.Floats, blocks[i], 0, outer, blocks[i]);
        }
    }
}
