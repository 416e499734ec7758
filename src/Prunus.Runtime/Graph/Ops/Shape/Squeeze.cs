using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Squeeze: removes the given size-1 axes (all size-1 axes if none are given); a view.</summary>
public sealed class SqueezeOp : Operator
{
    public override string OpType => "Squeeze";
    // Axes attribute (before 13) and input (13+).
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    public override bool IsDifferentiable(int index) => index == 0;
    public override bool IsView(NodeContext ctx) => true;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var input = ctx.Input(0);
        // Axes: attribute before opset 13, optional input 1 from 13.
        var axes = ShapeArgs.IntsFromInputOrAttribute(ctx, 1, "axes");
        var drop = new bool[input.Rank];
        if (axes is null)
            for (int d = 0; d < input.Rank; d++) drop[d] = input.Shape[d] == 1;
        else
            foreach (int d in ShapeArgs.Axes(ctx, axes, input.Rank))
            {
                if (input.Shape[d] != 1) throw ctx.Error($"cannot squeeze axis {d} of {ShapeMath.Format(input.Shape)}: its size is {input.Shape[d]}, not 1");
                drop[d] = true;
            }
        var shape = input.Shape.Where((_, d) => !drop[d]).ToArray();
        return [new TensorInfo(input.Type, shape)];
    }

    public override Kernel CreateKernel(NodeContext ctx) => new ViewKernel();
}
