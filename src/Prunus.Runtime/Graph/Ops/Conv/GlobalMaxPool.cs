using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>GlobalMaxPool: y[n,c] = max of x[n,c] over all spatial positions.</summary>
public sealed class GlobalMaxPoolOp : Operator
{
    public override string OpType => "GlobalMaxPool";
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    public override TensorInfo[] InferOutputs(NodeContext ctx) => GlobalPoolShapes.Infer(ctx);
    public override Kernel CreateKernel(NodeContext ctx) => new GlobalMaxPoolKernel();

    private sealed class GlobalMaxPoolKernel : Kernel
    {
        public override void Forward(RunContext ctx)
        {
            var (planes, size) = GlobalPoolShapes.Planes(Inputs[0]);
            var x = Inputs[0].Floats;
            var y = Outputs[0].Floats;
            for (int p = 0; p < planes; p++) y[p] = ChannelMath.Max(x.Slice(p * size, size));
        }

        // dx += dy at the first position holding each plane's maximum.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            var (planes, size) = GlobalPoolShapes.Planes(Inputs[0]);
            var x = Inputs[0].Floats;
            var y = Outputs[0].Floats;
            var d = dx.Floats;
            for (int p = 0; p < planes; p++)
            {
                int at = x.Slice(p * size, size).IndexOf(y[p]);
                if (at >= 0) d[p * size + at] += dy.Floats[p];
            }
        }
    }
}
