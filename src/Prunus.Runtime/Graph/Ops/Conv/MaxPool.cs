using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>MaxPool: y = max over each 1-D or 2-D window of x (pads never win); optional Indices of the maxima as int64.</summary>
public sealed class MaxPoolOp : Operator
{
    public override string OpType => "MaxPool";

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var g = PoolShapes.Resolve(ctx);
        long order = ctx.Int("storage_order", 0);
        if (order is not (0 or 1)) throw ctx.Error($"storage_order must be 0 (row major) or 1 (column major), got {order}");
        var shape = PoolShapes.OutputShape(g, ctx.Shape(0).Length);
        return [new TensorInfo(DataType.Float32, shape), new TensorInfo(DataType.Int64, shape)];
    }

    public override Kernel CreateKernel(NodeContext ctx) =>
        new MaxPoolKernel(new Pooling(PoolShapes.Resolve(ctx), PoolKind.Max, false), ctx.Int("storage_order", 0) == 1);

    private sealed class MaxPoolKernel(Pooling pooling, bool columnMajor) : Kernel
    {
        public override string Algorithm => "maxpool-rows-simd";

        public override void Forward(RunContext ctx)
        {
            // Indices are rare (unpooling, export round trips): the scalar reference tracks them.
            if (Outputs.Length > 1 && Outputs[1] is { } indices)
                PoolingReference.Max(pooling.Geometry, Inputs[0].Floats, Outputs[0].Floats, indices.Span<long>(), columnMajor);
            else
                pooling.Forward(Inputs[0].FloatMemory(), Outputs[0].FloatMemory(), ctx.Pool);
        }

        // dx += dy at each window's first maximal element, found again from x and y.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            pooling.Backward(Inputs[0].FloatMemory(), Outputs[0].FloatMemory(), dy.FloatMemory(), dx.FloatMemory(), ctx.Pool);
        }
    }
}
