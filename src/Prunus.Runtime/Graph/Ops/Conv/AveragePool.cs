using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>AveragePool: y = mean over each window of x, counting pads in the divisor when count_include_pad.</summary>
public sealed class AveragePoolOp : Operator
{
    public override string OpType => "AveragePool";
    // count_include_pad (7), ceil_mode (10), dilations (19).
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override TensorInfo[] InferOutputs(NodeContext ctx) => [new TensorInfo(DataType.Float32, PoolShapes.IsNd(ctx)
        ? PoolShapes.OutputShape(PoolShapes.ResolveNd(ctx))
        : PoolShapes.OutputShape(PoolShapes.Resolve(ctx), ctx.Shape(0).Length))];

    public override Kernel CreateKernel(NodeContext ctx)
    {
        bool includePad = ctx.Int("count_include_pad", 0) != 0;
        return PoolShapes.IsNd(ctx) ? new AveragePoolNdKernel(PoolShapes.ResolveNd(ctx), includePad)
            : new AveragePoolKernel(new Pooling(PoolShapes.Resolve(ctx), PoolKind.Average, includePad));
    }

    /// <summary>Three or more spatial axes: the direct loops of <see cref="WindowNd"/>.</summary>
    private sealed class AveragePoolNdKernel(WindowGeometryNd g, bool includePad) : Kernel
    {
        public override string Algorithm => "avgpool-nd-direct";

        public override void Forward(RunContext ctx) => WindowNd.AverageForward(g, includePad, Inputs[0].Floats, Outputs[0].Floats);

        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is { } dx && OutputGrads[0] is { } dy) WindowNd.AverageBackward(g, includePad, dy.Floats, dx.Floats);
        }
    }

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
