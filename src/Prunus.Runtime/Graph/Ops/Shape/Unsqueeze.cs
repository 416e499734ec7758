using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Unsqueeze: inserts size-1 axes at the given positions of the output; a view.</summary>
public sealed class UnsqueezeOp : Operator
{
    public override string OpType => "Unsqueeze";
    // Axes attribute (before 13) and input (13+).
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    public override bool IsDifferentiable(int index) => index == 0;
    public override bool IsView(NodeContext ctx) => true;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var input = ctx.Input(0);
        // Axes: attribute before opset 13, required input 1 from 13. They index the output, whose rank is r + len(axes).
        var axes = ShapeArgs.IntsFromInputOrAttribute(ctx, 1, "axes")
            ?? throw ctx.Error("needs axes (input 1 from opset 13, attribute 'axes' before)");
        int rank = input.Rank + axes.Length;
        var insert = new bool[rank];
        foreach (int d in ShapeArgs.Axes(ctx, axes, rank)) insert[d] = true;
        var shape = new int[rank];
        for (int d = 0, s = 0; d < rank; d++) shape[d] = insert[d] ? 1 : input.Shape[s++];
        return [new TensorInfo(input.Type, shape)];
    }

    public override Kernel CreateKernel(NodeContext ctx) => new ViewKernel();
}
