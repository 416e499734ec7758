using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Reshape: the data under a new shape (0 copies the input dimension unless allowzero, −1 is inferred); a view.</summary>
public sealed class ReshapeOp : Operator
{
    public override string OpType => "Reshape";
    // Shape attribute (opsets 1-4) and input (5+), allowzero (14).
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    public override bool IsDifferentiable(int index) => index == 0;
    public override bool IsView(NodeContext ctx) => true;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var input = ctx.Input(0);
        // Opset 1-4 carried the shape as an attribute; from opset 5 it is input 1.
        var requested = ShapeArgs.IntsFromInputOrAttribute(ctx, 1, "shape")
            ?? throw ctx.Error("needs the target shape (input 1 from opset 5, attribute 'shape' before)");
        return [new TensorInfo(input.Type, Resolve(ctx, input.Shape, requested, ctx.Int("allowzero", 0) != 0))];
    }

    private static int[] Resolve(NodeContext ctx, int[] inShape, long[] requested, bool allowZero)
    {
        var shape = new int[requested.Length];
        int inferred = -1;
        long known = 1;
        for (int i = 0; i < requested.Length; i++)
        {
            long d = requested[i];
            if (d == -1)
            {
                if (inferred >= 0) throw ctx.Error($"shape [{string.Join(",", requested)}] has more than one -1");
                inferred = i;
                continue;
            }
            if (d == 0 && !allowZero)
            {
                if (i >= inShape.Length) throw ctx.Error($"shape [{string.Join(",", requested)}] copies dimension {i} (0) but the input {ShapeMath.Format(inShape)} has rank {inShape.Length}");
                d = inShape[i];
            }
            if (d < 0 || d > int.MaxValue) throw ctx.Error($"shape [{string.Join(",", requested)}] has invalid dimension {requested[i]}");
            shape[i] = (int)d;
            known *= d;
        }
        long total = ShapeMath.Size(inShape);
        if (inferred >= 0)
        {
            if (known == 0 || total % known != 0)
                throw ctx.Error($"cannot infer the -1 in [{string.Join(",", requested)}] for input {ShapeMath.Format(inShape)} of {total} elements");
            shape[inferred] = (int)(total / known);
        }
        else if (known != total)
            throw ctx.Error($"cannot reshape {ShapeMath.Format(inShape)} ({total} elements) to [{string.Join(",", requested)}] ({known} elements)");
        return shape;
    }

    public override Kernel CreateKernel(NodeContext ctx) => new ViewKernel();
}
