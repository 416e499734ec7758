using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>FusedGemm (ai.prunus): Y = act(alpha op(A) op(B) + beta C), Gemm's inputs and attributes plus an activation (Relu in the GEMM epilogue).</summary>
public sealed class FusedGemmOp : Operator
{
    private static readonly GemmOp Gemm = new();

    public override string OpType => "FusedGemm";
    public override string Domain => PrunusDomain.Name;

    // Inference only: no gradient flows through a fused op.
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        PrunusDomain.RejectTraining(ctx);
        PrunusDomain.ReadActivation(ctx);
        return Gemm.InferOutputs(ctx);
    }

    public override Kernel CreateKernel(NodeContext ctx) => GemmOp.CreateKernel(ctx, PrunusDomain.ReadActivation(ctx));
}
