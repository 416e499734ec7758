using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Slice: y = x[start:end:step] along the given axes, with ONNX's handling of negative and out-of-range bounds.</summary>
public sealed class SliceOp : Operator
{
    public override string OpType => "Slice";
    // Attributes (1-9) and inputs with steps (10+).
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var input = ctx.Input(0);
        return [new TensorInfo(input.Type, Resolve(ctx).Shape)];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var (shape, offset, strides) = Resolve(ctx);
        var (walkShape, walkStrides) = DataMovement.Coalesce(shape, strides);
        return new SliceKernel(offset, walkShape, walkStrides);
    }

    /// <summary>The output shape, and the output as a strided walk over the input: first element, stride per output axis.</summary>
    private static (int[] Shape, int Offset, int[] Strides) Resolve(NodeContext ctx)
    {
        var inShape = ctx.Shape(0);
        int rank = inShape.Length;
        long[] starts, ends;
        long[]? axes, steps;
        if (ctx.HasInput(1) || ctx.HasInput(2))
        {
            // Opset 10+: starts, ends, optional axes and steps as inputs known at plan time.
            starts = ShapeArgs.IntsFromInputOrAttribute(ctx, 1, "starts") ?? throw ctx.Error("needs starts (input 1)");
            ends = ShapeArgs.IntsFromInputOrAttribute(ctx, 2, "ends") ?? throw ctx.Error("needs ends (input 2)");
            axes = ctx.HasInput(3) ? ShapeArgs.IntsFromInputOrAttribute(ctx, 3, "axes") : null;
            steps = ctx.HasInput(4) ? ShapeArgs.IntsFromInputOrAttribute(ctx, 4, "steps") : null;
        }
        else
        {
            // Opset 1-9: attributes starts, ends, axes; no steps.
            starts = ctx.Ints("starts") ?? throw ctx.Error("needs 'starts' (attribute before opset 10, input 1 from 10)");
            ends = ctx.Ints("ends") ?? throw ctx.Error("needs 'ends' (attribute before opset 10, input 2 from 10)");
            axes = ctx.Ints("axes");
            steps = null;
        }
        if (ends.Length != starts.Length) throw ctx.Error($"starts has {starts.Length} entries but ends has {ends.Length}");
        if (axes is not null && axes.Length != starts.Length) throw ctx.Error($"axes has {axes.Length} entries but starts has {starts.Length}");
        if (steps is not null && steps.Length != starts.Length) throw ctx.Error($"steps has {steps.Length} entries but starts has {starts.Length}");
        if (axes is null && starts.Length > rank) throw ctx.Error($"starts has {starts.Length} entries for an input of rank {rank}");
        var axisList = axes is null ? Enumerable.Range(0, starts.Length).ToArray() : ShapeArgs.Axes(ctx, axes, rank);

        var shape = (int[])inShape.Clone();
        var inStrides = ShapeMath.Strides(inShape);
        var strides = (int[])inStrides.Clone();
        int offset = 0;
        for (int i = 0; i < axisList.Length; i++)
        {
            int a = axisList[i];
            long dim = inShape[a];
            long step = steps is null ? 1 : steps[i];
            if (step == 0) throw ctx.Error($"step {i} is 0");
            var (start, length) = Clamp(starts[i], ends[i], step, dim);
            shape[a] = (int)length;
            offset += (int)start * inStrides[a];
            // Beyond the axis length a step only matters for its sign (at most one element is taken).
            long effective = Math.Clamp(step, -Math.Max(dim, 1), Math.Max(dim, 1));
            strides[a] = (int)(inStrides[a] * effective);
        }
        if (ShapeMath.Size(shape) == 0) offset = 0;
        return (shape, offset, strides);
    }

    /// <summary>ONNX bounds: negatives count from the end, then start and end are clamped by the step's sign.</summary>
    internal static (long Start, long Length) Clamp(long start, long end, long step, long dim)
    {
        if (dim == 0) return (0, 0);
        if (start < 0) start += dim;
        if (end < 0) end += dim;
        if (step > 0)
        {
            start = Math.Clamp(start, 0, dim);
            end = Math.Clamp(end, 0, dim);
            return (start, end > start ? (end - start - 1) / step + 1 : 0);
        }
        start = Math.Clamp(start, 0, dim - 1);
        end = Math.Clamp(end, -1, dim - 1);
        long magnitude = step == long.MinValue ? long.MaxValue : -step;
        return (start, start > end ? (start - end - 1) / magnitude + 1 : 0);
    }

    private sealed class SliceKernel(int offset, int[] shape, int[] strides) : Kernel
    {
        public override void Forward(RunContext ctx) => DataMovement.Gather(Inputs[0], offset, shape, strides, Outputs[0]);

        // The sliced positions receive dy; the rest of dx is untouched (zero gradient).
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            DataMovement.ScatterAdd(dy.Floats, dx.Floats, offset, shape, strides);
        }

        public override string Algorithm => "slice-strided";
    }
}
