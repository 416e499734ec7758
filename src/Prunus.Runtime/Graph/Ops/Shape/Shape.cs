using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Shape: the input's dimensions [start, end) as a 1-D int64 tensor; folded to a constant at plan time.</summary>
public sealed class ShapeOp : Operator
{
    public override string OpType => "Shape";
    // start and end (15).
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    public override bool DependsOnlyOnShapes => true;
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx) => [new TensorInfo(DataType.Int64, [Dims(ctx).Length])];

    // Opset 15 start/end: negatives count from the back, then both clamp to [0, rank].
    private static long[] Dims(NodeContext ctx)
    {
        var shape = ctx.Shape(0);
        int rank = shape.Length;
        long start = ctx.Int("start", 0), end = ctx.Int("end", rank);
        if (start < 0) start += rank;
        if (end < 0) end += rank;
        start = Math.Clamp(start, 0, rank);
        end = Math.Clamp(end, 0, rank);
        return shape.Skip((int)start).Take((int)Math.Max(0, end - start)).Select(d => (long)d).ToArray();
    }

    public override Kernel CreateKernel(NodeContext ctx) => new ShapeKernel(Dims(ctx));

    private sealed class ShapeKernel(long[] dims) : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx) => dims.CopyTo(Outputs[0].Span<long>());
    }
}
