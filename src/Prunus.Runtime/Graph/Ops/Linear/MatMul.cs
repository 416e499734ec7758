using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Graph.Ops;

/// <summary>MatMul: numpy.matmul, batched A[..., M, K] * B[..., K, N] with broadcast batch dims; 1-D operands are promoted and the added dim removed.</summary>
public sealed class MatMulOp : Operator
{
    public override string OpType => "MatMul";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override TensorInfo[] InferOutputs(NodeContext ctx) => [new TensorInfo(DataType.Float32, Layout.Of(ctx).OutShape)];

    public override Kernel CreateKernel(NodeContext ctx) => new MatMulKernel(ctx, Layout.Of(ctx));

    /// <summary>Shapes resolved to a list of [M,K] x [K,N] products: one per output batch index, with each operand's offset.</summary>
    private sealed class Layout
    {
        public int M, N, K;
        public int[] OutShape = [];
        /// <summary>Offsets (in elements) of A's and B's matrix for each output batch index.</summary>
        public int[] AOffsets = [], BOffsets = [];
        /// <summary>B is one matrix shared by every batch and A's batches are contiguous: one GEMM of M' = batch * M rows.</summary>
        public bool Collapsed;
        public int Batch => AOffsets.Length;

        public static Layout Of(NodeContext ctx)
        {
            ctx.ExpectType(0, DataType.Float32);
            ctx.ExpectType(1, DataType.Float32);
            var s = MatMulShapes.Of(ctx, 0, 1);
            return new Layout
            {
                M = s.M, N = s.N, K = s.K, OutShape = s.OutShape, AOffsets = s.AOffsets, BOffsets = s.BOffsets,
                // B shared by all batches and A not broadcast: the batched product is one tall GEMM.
                Collapsed = ShapeMath.Size(s.BBatch) == 1 && ShapeMath.Size(s.ABatch) == s.Batch,
            };
        }
    }

    private sealed class MatMulKernel : Kernel, IParallelWork
    {
        private readonly Layout _l;
        private readonly PackedMatrix? _packedB;
        // A constant B that is mostly zero, when its sparse kernel beats the dense one at these shapes.
        private readonly SparseLinear? _sparse;

        public MatMulKernel(NodeContext ctx, Layout l)
        {
            _l = l;
            if (ctx.ConstantWeights && l.Collapsed && ctx.Constant(1) is { } b)
            {
                _sparse = SparseSelection.ForLinear(l.Batch * l.M, l.K, l.N, b.Floats, false, 1f, false);
                if (_sparse is null) _packedB = Gemm.PackB(false, l.K, l.N, b.Floats, l.N);
            }
        }

        public override string Algorithm => _sparse is not null ? _sparse.Describe()
            : _packedB is null ? Gemm.KernelName : Gemm.KernelName + "-packed";

        public override void Forward(RunContext ctx)
        {
            var l = _l;
            if (l.Collapsed)
            {
                int rows = l.Batch * l.M;
                if (_sparse is not null) _sparse.Forward(Inputs[0].Floats, default, Outputs[0].Floats, ctx.Pool);
                else if (_packedB is not null) Gemm.Multiply(false, rows, 1f, Inputs[0].Floats, l.K, _packedB, 0f, Outputs[0].Floats, l.N, default, ctx.Pool);
                else Gemm.Multiply(false, false, rows, l.N, l.K, 1f, Inputs[0].Floats, l.K, Inputs[1].Floats, l.N, 0f, Outputs[0].Floats, l.N, ctx.Pool);
                return;
            }
            // Independent products: small ones run one per thread, large ones each use the whole pool.
            if (2.0 * l.M * l.N * l.K < 2e6) ctx.Pool.For(l.Batch, this);
            else
                for (int t = 0; t < l.Batch; t++) Product(t, ctx.Pool);
        }

        void IParallelWork.Run(int index) => Product(index, null);

        private void Product(int t, WorkerPool? pool)
        {
            var l = _l;
            Gemm.Multiply(false, false, l.M, l.N, l.K, 1f, Inputs[0].Floats[l.AOffsets[t]..], l.K, Inputs[1].Floats[l.BOffsets[t]..], l.N,
                0f, Outputs[0].Floats.Slice(t * l.M * l.N, l.M * l.N), l.N, pool);
        }

        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is not { } dyT) return;
            var l = _l;
            var dy = dyT.Floats;
            var a = Inputs[0].Floats;
            var b = Inputs[1].Floats;
            if (l.Collapsed)
            {
                int rows = l.Batch * l.M;
                // dA' = dY' B^T and dB = A'^T dY' over the stacked rows, which also sums dB over the batch.
                if (InputGrads[0] is { } dA) Gemm.Multiply(false, true, rows, l.K, l.N, 1f, dy, l.N, b, l.N, 1f, dA.Floats, l.K, ctx.Pool);
                if (InputGrads[1] is { } dB) Gemm.Multiply(true, false, l.K, l.N, rows, 1f, a, l.K, dy, l.N, 1f, dB.Floats, l.N, ctx.Pool);
                return;
            }
            // Per batch index; a broadcast operand's gradient accumulates (beta = 1) over all indices that read it.
            for (int t = 0; t < l.Batch; t++)
            {
                var dyt = dy.Slice(t * l.M * l.N, l.M * l.N);
                if (InputGrads[0] is { } dA)
                    Gemm.Multiply(false, true, l.M, l.K, l.N, 1f, dyt, l.N, b[l.BOffsets[t]..], l.N, 1f, dA.Floats[l.AOffsets[t]..], l.K, ctx.Pool);
                if (InputGrads[1] is { } dB)
                    Gemm.Multiply(true, false, l.K, l.N, l.M, 1f, a[l.AOffsets[t]..], l.K, dyt, l.N, 1f, dB.Floats[l.BOffsets[t]..], l.N, ctx.Pool);
            }
        }
    }
}
