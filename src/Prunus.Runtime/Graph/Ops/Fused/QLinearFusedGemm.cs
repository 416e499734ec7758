using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// QLinearFusedGemm (ai.prunus): y = act(x op(w) + B) on 8-bit x [..., K] and constant 8-bit w, [K, N] or with
/// transB [N, K], in integers, with QLinearConv's input layout and the fused output stage of <see cref="QLinearFused"/>
/// (uint8/int8, floats, floats on y's grid, or int32 sums); y is [..., N]. Made by the quantization lowering from QDQ
/// Gemm and MatMul patterns, QLinearMatMul and MatMulInteger; inference only.
/// </summary>
public sealed class QLinearFusedGemmOp : Operator
{
    public override string OpType => "QLinearFusedGemm";
    public override string Domain => PrunusDomain.Name;
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var (m, k, n, batch) = Shapes(ctx);
        var type = QLinearFused.Check(ctx, n);
        return [new TensorInfo(type, [.. batch, n])];
    }

    private static (int M, int K, int N, int[] Batch) Shapes(NodeContext ctx)
    {
        var x = ctx.Shape(QLinearFused.X);
        var w = ctx.Shape(QLinearFused.W);
        if (x.Length < 1) throw ctx.Error("x must have at least one axis (its last is K)");
        if (w.Length != 2) throw ctx.Error($"w must be a matrix, got {ShapeMath.Format(w)}");
        bool transB = ctx.Int("transB", 0) != 0;
        int k = x[^1], kw = transB ? w[1] : w[0], n = transB ? w[0] : w[1];
        if (k != kw) throw ctx.Error($"inner dimensions differ: x {ShapeMath.Format(x)} has K={k} but w {ShapeMath.Format(w)} (transB={(transB ? 1 : 0)}) has K={kw}");
        var batch = x[..^1];
        return (ShapeMath.Size(batch), k, n, batch);
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var (m, k, n, _) = Shapes(ctx);
        var s = QLinearFused.Read(ctx, n);
        var layer = new QuantizedLinear(m, k, n, s.Weights, s.WeightsSigned, s.WeightZero, ctx.Int("transB", 0) != 0,
            s.InputSigned, s.InputZero, s.Output);
        return new QGemmKernel(layer, s.InputZeroAtRunTime, QLinearFused.InputQuantizer(ctx, s, ctx.Input(QLinearFused.X).Length));
    }

    private sealed class QGemmKernel(QuantizedLinear layer, bool runtimeZero, (QuantizeBytes, byte[])? quantize) : ForwardOnlyKernel
    {
        public override string Algorithm => (quantize is null ? "" : "quantize+") + layer.Describe();

        public override void Forward(RunContext ctx)
        {
            if (runtimeZero) layer.SetInputZero(QLinearFused.RuntimeZero(this));
            layer.Forward(QLinearFused.InputBytes(this, quantize, ctx), Outputs[0].Bytes(), ctx.Pool);
        }
    }
}
