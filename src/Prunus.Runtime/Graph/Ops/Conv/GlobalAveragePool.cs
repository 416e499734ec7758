using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>GlobalAveragePool: y[n,c] = mean of x[n,c] over all spatial positions.</summary>
public sealed class GlobalAveragePoolOp : Operator
{
    public override string OpType => "GlobalAveragePool";
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    public override TensorInfo[] InferOutputs(NodeContext ctx) => GlobalPoolShapes.Infer(ctx);
    public override Kernel CreateKernel(NodeContext ctx) => new GlobalAveragePoolKernel();

    private sealed class GlobalAveragePoolKernel : Kernel
    {
        public override void Forward(RunContext ctx)
        {
            var (planes, size) = GlobalPoolShapes.Planes(Inputs[0]);
            var x = Inputs[0].Floats;
            var y = Outputs[0].Floats;
            for (int p = 0; p < planes; p++) y[p] = size == 0 ? 0 : ChannelMath.Sum(x.Slice(p * size, size)) / size;
        }

        // dx[n,c,:] += dy[n,c] / size.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            var (planes, size) = GlobalPoolShapes.Planes(Inputs[0]);
            var d = dx.Floats;
            for (int p = 0; p < planes; p++) ChannelMath.AddScalar(d.Slice(p * size, size), dy.Floats[p] / size);
        }
    }
}
