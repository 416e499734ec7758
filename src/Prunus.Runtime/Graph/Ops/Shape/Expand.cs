using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Expand: the input broadcast (NumPy rules, both ways) with the shape given by input 1 (int64, known at plan time).</summary>
public sealed class ExpandOp : Operator
{
    public override string OpType => "Expand";
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        var dims = ShapeArgs.IntsFromInputOrAttribute(ctx, 1, "shape") ?? throw ctx.Error("needs the shape (input 1)");
        if (dims.Any(d => d < 0 || d > int.MaxValue)) throw ctx.Error($"shape [{string.Join(",", dims)}] has a negative or too large dimension");
        var shape = BroadcastBinaryOp.BroadcastShape(ctx, x.Shape, dims.Select(d => (int)d).ToArray());
        return [new TensorInfo(x.Type, shape)];
    }

    // Only leading 1s added: the data is unchanged.
    public override bool IsView(NodeContext ctx) => ctx.Input(0).Length == ctx.OutputInfos[0].Length;

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var input = ctx.Shape(0);
        var output = ctx.OutputInfos[0].Shape;
        if (ShapeMath.Size(input) == ShapeMath.Size(output)) return new ViewKernel();
        // The output as a walk over the input: stride 0 along broadcast dimensions.
        var inStrides = ShapeMath.Strides(input);
        var strides = new int[output.Length];
        for (int d = 0; d < output.Length; d++)
        {
            int p = d - (output.Length - input.Length);
            strides[d] = p >= 0 && input[p] != 1 ? inStrides[p] : 0;
        }
        var (shape, walk) = DataMovement.Coalesce(output, strides);
        return new ExpandKernel(shape, walk, BroadcastLayout.Create(output, input));
    }

    private sealed class ExpandKernel(int[] shape, int[] strides, BroadcastLayout reduce) : Kernel
    {
        public override void Forward(RunContext ctx) => DataMovement.Gather(Inputs[0], 0, shape, strides, Outputs[0]);

        // dx = dy summed over the broadcast dimensions.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            Broadcast.ReduceAccumulate(reduce, dy.Floats, dx.Floats);
        }

        public override string Algorithm => "expand-strided";
    }
}
