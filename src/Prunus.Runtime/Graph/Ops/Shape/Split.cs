using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Split: the input cut along <c>axis</c> into consecutive parts, one per output (given sizes, or equal parts).</summary>
public sealed class SplitOp : Operator
{
    public override string OpType => "Split";
    // Split attribute (2-12) and input (1, 13+), num_outputs (18).
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var input = ctx.Input(0);
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", 0), input.Rank);
        var sizes = Sizes(ctx, input.Shape[axis]);
        return sizes.Select(s =>
        {
            var shape = (int[])input.Shape.Clone();
            shape[axis] = s;
            return new TensorInfo(input.Type, shape);
        }).ToArray();
    }

    private static int[] Sizes(NodeContext ctx, int length)
    {
        int outputs = ctx.Node.Outputs.Count;
        if (outputs == 0) throw ctx.Error("has no outputs");
        // Sizes: attribute 'split' before opset 13, optional input 1 from 13.
        var split = ShapeArgs.IntsFromInputOrAttribute(ctx, 1, "split");
        if (split is not null)
        {
            if (split.Length != outputs) throw ctx.Error($"split [{string.Join(",", split)}] has {split.Length} sizes for {outputs} outputs");
            if (split.Any(s => s < 0) || split.Sum() != length)
                throw ctx.Error($"split [{string.Join(",", split)}] does not add up to the axis length {length}");
            return split.Select(s => (int)s).ToArray();
        }
        // Opset 18 'num_outputs': parts of ceil(length / n), the last one smaller if it does not divide.
        if (ctx.HasAttribute("num_outputs"))
        {
            long n = ctx.Int("num_outputs", outputs);
            if (n != outputs) throw ctx.Error($"num_outputs is {n} but the node has {outputs} outputs");
            int chunk = (int)((length + n - 1) / n);
            var r = new int[outputs];
            for (int i = 0, left = length; i < outputs; i++) { r[i] = Math.Min(chunk, left); left -= r[i]; }
            return r;
        }
        if (length % outputs != 0) throw ctx.Error($"axis length {length} does not split into {outputs} equal parts; give 'split' sizes");
        return Enumerable.Repeat(length / outputs, outputs).ToArray();
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var inShape = ctx.Shape(0);
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", 0), inShape.Length);
        int outer = ShapeArgs.Product(inShape, 0, axis);
        int innerSize = ShapeArgs.Product(inShape, axis + 1, inShape.Length);
        var blocks = ctx.OutputInfos.Select(o => o.Shape[axis] * innerSize).ToArray();
        var starts = new int[blocks.Length];
        for (int i = 1; i < blocks.Length; i++) starts[i] = starts[i - 1] + blocks[i - 1];
        return new SplitKernel(outer, inShape[axis] * innerSize, blocks, starts);
    }

    private sealed class SplitKernel(int outer, int row, int[] blocks, int[] starts) : Kernel
    {
        public override void Forward(RunContext ctx)
        {
            int size = Inputs[0].Type.SizeOf();
            var src = DataMovement.Bytes(Inputs[0]);
            for (int i = 0; i < blocks.Length; i++)
                if (i < Outputs.Length && Outputs[i] is { } y)
                    DataMovement.CopyBlocks<byte>(src, row * size, starts[i] * size, DataMovement.Bytes(y), blocks[i] * size, 0, outer, blocks[i] * size);
        }

        // dx is the outputs' gradients joined back; outputs without a gradient contribute zero.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx) return;
            for (int i = 0; i < blocks.Length && i < OutputGrads.Length; i++)
                if (OutputGrads[i] is { } dy)
                    DataMovement.AddBlocks(dy.Floats, blocks[i], 0, dx.Floats, row, starts[i], outer, blocks[i]);
        }
    }
}
