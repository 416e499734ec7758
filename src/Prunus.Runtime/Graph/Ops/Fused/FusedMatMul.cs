using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// FusedMatMul (ai.prunus): Y[..., M, N] = act(A[..., M, K] B[K, N] + bias[N]), a MatMul with a 2-D right operand
/// and an optional per-column bias, run as one GEMM over all rows of A with bias and Relu in the epilogue.
/// </summary>
public sealed class FusedMatMulOp : Operator
{
    public override string OpType => "FusedMatMul";
    public override string Domain => PrunusDomain.Name;

    // Inference only: no gradient flows through a fused op.
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        PrunusDomain.RejectTraining(ctx);
        PrunusDomain.ReadActivation(ctx);
        var (_, _, n) = Dims(ctx);
        return [new TensorInfo(DataType.Float32, [.. ctx.Shape(0)[..^1], n])];
    }

    /// <summary>Checks A [..., M, K], B [K, N], bias [N]; returns the GEMM's rows (all of A's leading dims), K and N.</summary>
    private static (int Rows, int K, int N) Dims(NodeContext ctx)
    {
        ctx.ExpectType(0, DataType.Float32);
        ctx.ExpectType(1, DataType.Float32);
        var a = ctx.Shape(0);
        var b = ctx.Shape(1);
        if (a.Length < 2) throw ctx.Error($"A must have rank at least 2, got {ShapeMath.Format(a)}");
        if (b.Length != 2) throw ctx.Error($"B must be a matrix [K,N], got {ShapeMath.Format(b)}");
        if (a[^1] != b[0]) throw ctx.Error($"inner dimensions differ: A {ShapeMath.Format(a)} has K={a[^1]} but B {ShapeMath.Format(b)} has K={b[0]}");
        if (ctx.HasInput(2))
        {
            ctx.ExpectType(2, DataType.Float32);
            var c = ctx.Shape(2);
            if (c.Length != 1 || c[0] != b[1]) throw ctx.Error($"bias must be [{b[1]}] (one value per column of B), got {ShapeMath.Format(c)}");
        }
        return (ShapeMath.Size(a[..^1]), b[0], b[1]);
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var (rows, k, n) = Dims(ctx);
        var activation = PrunusDomain.ReadActivation(ctx);
        var weight = ctx.ConstantWeights ? ctx.Constant(1) : null;
        // A mostly-zero constant B runs sparse when that beats the dense kernel at these shapes.
        var sparse = weight is null ? null : SparseSelection.ForLinear(rows, k, n, weight.Floats, false, 1f, false, activation);
        var packed = weight is not null && sparse is null ? Gemm.PackB(false, k, n, weight.Floats, n) : null;
        return new FusedMatMulKernel(rows, k, n, packed, sparse, activation);
    }

    private sealed class FusedMatMulKernel(int rows, int k, int n, PackedMatrix? packedB, SparseLinear? sparse, FusedActivation activation) : Kernel
    {
        public override string Algorithm => sparse is not null ? sparse.Describe()
            : (packedB is null ? Gemm.KernelName : Gemm.KernelName + "-packed") + (activation.IsNone ? "" : "+" + activation);

        public override void Forward(RunContext ctx)
        {
            var y = Outputs[0].Floats;
            if (sparse is not null)
            {
                sparse.Forward(Inputs[0].Floats, Has(2) ? Inputs[2].Floats : default, y, ctx.Pool);
                return;
            }
            bool relu = activation.IsRelu;
            var epilogue = Has(2) ? GemmEpilogue.ColumnBias(Inputs[2].Floats, relu) : relu ? GemmEpilogue.ReluOnly : GemmEpilogue.None;
            if (packedB is not null) Gemm.Multiply(false, rows, 1f, Inputs[0].Floats, k, packedB, 0f, y, n, epilogue, ctx.Pool);
            else Gemm.Multiply(false, false, rows, n, k, 1f, Inputs[0].Floats, k, Inputs[1].Floats, n, 0f, y, n, epilogue, ctx.Pool);
            if (!relu) activation.Apply(y);
        }
    }
}
