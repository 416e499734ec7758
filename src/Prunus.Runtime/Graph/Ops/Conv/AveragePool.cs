using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>AveragePool: y = mean over each 1-D or 2-D window of x, counting pads in the divisor when count_include_pad.</summary>
public sealed class AveragePoolOp : Operator
{
    public override string OpType => "AveragePool";
    // count_include_pad (7), ceil_mode (10), dilations (19).
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override TensorInfo[] InferOutputs(NodeContext ctx) =>
        [new TensorInfo(DataType.Float32, PoolShapes.OutputShape(PoolShapes.Resolve(ctx), ctx.Shape(0).Length))];

    public override Kernel CreateKernel(NodeContext ctx) =>
        new AveragePoolKernel(new Pooling(PoolShapes.Resolve(ctx), PoolKind.Average, ctx.Int("count_include_pad", 0) != 0));

    private sealed class AveragePoolKernel(Pooling pooling) : Kernel
    {
        public override string Algorithm => "avgpool-rows-simd";

        public override void Forward(RunContext ctx) => pooling.Forward(Inputs[0].FloatMemory(), Outputs[0].FloatMemory(), ctx.Pool);

        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            pooling.Backward(default, default, dy.FloatMemory(), dx.FloatMemory(), ctx.Pool);
        }
    }
}
