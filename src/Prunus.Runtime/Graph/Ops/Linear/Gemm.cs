using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Gemm: Y[M,N] = alpha * op(A) * op(B) + beta * C, op = optional transpose, C unidirectionally broadcast to [M,N].</summary>
public sealed class GemmOp : Operator
{
    public override string OpType => "Gemm";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var s = Shapes.Of(ctx);
        return [new TensorInfo(DataType.Float32, [s.M, s.N])];
    }

    public override Kernel CreateKernel(NodeContext ctx) => new GemmKernel(ctx, Shapes.Of(ctx), FusedActivation.None);

    /// <summary>The Gemm kernel with <paramref name="activation"/> applied to its output (for fused inference ops).</summary>
    internal static Kernel CreateKernel(NodeContext ctx, FusedActivation activation) => new GemmKernel(ctx, Shapes.Of(ctx), activation);

    /// <summary>How C reaches [M,N]: absent, one value per column (also a scalar), one per row, or a full matrix.</summary>
    private enum BiasMode { None, Column, Row, Full }

    /// <summary>Attributes and validated shapes of one node.</summary>
    private readonly record struct Shapes(int M, int N, int K, bool TransA, bool TransB, float Alpha, float Beta, BiasMode Mode, int CRows, int CCols)
    {
        public static Shapes Of(NodeContext ctx)
        {
            ctx.ExpectType(0, DataType.Float32);
            ctx.ExpectType(1, DataType.Float32);
            var a = ctx.Shape(0);
            var b = ctx.Shape(1);
            if (a.Length != 2) throw ctx.Error($"A must be a matrix (rank 2), got shape {ShapeMath.Format(a)}");
            if (b.Length != 2) throw ctx.Error($"B must be a matrix (rank 2), got shape {ShapeMath.Format(b)}");
            bool ta = ctx.Int("transA", 0) != 0, tb = ctx.Int("transB", 0) != 0;
            int m = ta ? a[1] : a[0], k = ta ? a[0] : a[1];
            int kb = tb ? b[1] : b[0], n = tb ? b[0] : b[1];
            if (k != kb)
                throw ctx.Error($"inner dimensions differ: A {ShapeMath.Format(a)} (transA={(ta ? 1 : 0)}) has K={k} but B {ShapeMath.Format(b)} (transB={(tb ? 1 : 0)}) has K={kb}");
            var mode = BiasMode.None;
            int cRows = 1, cCols = 1;
            if (ctx.HasInput(2))
            {
                ctx.ExpectType(2, DataType.Float32);
                var c = ctx.Shape(2);
                if (c.Length > 2) throw ctx.Error($"C must have rank at most 2 to broadcast to [{m},{n}], got {ShapeMath.Format(c)}");
                cCols = c.Length >= 1 ? c[^1] : 1;
                cRows = c.Length == 2 ? c[0] : 1;
                if ((cRows != 1 && cRows != m) || (cCols != 1 && cCols != n))
                    throw ctx.Error($"C of shape {ShapeMath.Format(c)} does not broadcast to the output shape [{m},{n}]");
                mode = cRows == m && cCols == n && m > 1 && n > 1 ? BiasMode.Full
                    : cRows == m && m > 1 ? BiasMode.Row
                    : BiasMode.Column;
            }
            return new Shapes(m, n, k, ta, tb, ctx.Float("alpha", 1f), ctx.Float("beta", 1f), mode, cRows, cCols);
        }
    }

    private sealed class GemmKernel : Kernel
    {
        private readonly Shapes _s;
        private readonly PackedMatrix? _packedB;
        // A constant weight that is mostly zero, when its sparse kernel beats the dense one at these shapes.
        private readonly SparseLinear? _sparse;
        // beta * C laid out per column (length N) or per row (length M), filled at plan time when C is constant.
        private readonly float[] _bias;
        private readonly bool _biasReady;
        private readonly FusedActivation _activation;

        public GemmKernel(NodeContext ctx, Shapes s, FusedActivation activation)
        {
            _s = s;
            _activation = activation;
            int ldb = s.TransB ? s.K : s.N;
            if (ctx.ConstantWeights && ctx.Constant(1) is { } b)
            {
                // A per-row or full C does not fit the sparse kernels' per-output bias.
                if (s.Mode is BiasMode.None or BiasMode.Column)
                    _sparse = SparseSelection.ForLinear(s.M, s.K, s.N, b.Floats, s.TransB, s.Alpha, s.TransA, activation);
                if (_sparse is null) _packedB = Gemm.PackB(s.TransB, s.K, s.N, b.Floats, ldb);
            }
            _bias = s.Mode switch { BiasMode.Column => new float[s.N], BiasMode.Row => new float[s.M], _ => [] };
            if (ctx.Constant(2) is { } c && s.Mode is BiasMode.Column or BiasMode.Row)
            {
                FillBias(c.Floats);
                _biasReady = true;
            }
        }

        public override string Algorithm => _sparse is not null ? _sparse.Describe()
            : (_packedB is null ? Gemm.KernelName : Gemm.KernelName + "-packed") + (_activation.IsNone ? "" : "+" + _activation);

        private void FillBias(ReadOnlySpan<float> c)
        {
            for (int i = 0; i < _bias.Length; i++) _bias[i] = _s.Beta * c[c.Length == 1 ? 0 : i];
        }

        public override void Forward(RunContext ctx)
        {
            var s = _s;
            var y = Outputs[0].Floats;
            int lda = s.TransA ? s.M : s.K, ldb = s.TransB ? s.K : s.N;
            float beta = 0;
            // A Relu rides in the epilogue; other activations run over the output afterwards.
            bool relu = _activation.IsRelu;
            var epilogue = relu ? GemmEpilogue.ReluOnly : GemmEpilogue.None;
            if (s.Mode == BiasMode.Full && s.Beta != 0)
            {
                Inputs[2].Floats.CopyTo(y);
                beta = s.Beta;
            }
            else if (s.Mode is BiasMode.Column or BiasMode.Row)
            {
                if (!_biasReady) FillBias(Inputs[2].Floats);
                epilogue = new GemmEpilogue(s.Mode == BiasMode.Column ? GemmBias.PerColumn : GemmBias.PerRow, _bias, relu);
            }
            if (_sparse is not null)
            {
                _sparse.Forward(Inputs[0].Floats, s.Mode == BiasMode.Column ? _bias : default, y, ctx.Pool);
                return;
            }
            if (_packedB is not null)
                Gemm.Multiply(s.TransA, s.M, s.Alpha, Inputs[0].Floats, lda, _packedB, beta, y, s.N, epilogue, ctx.Pool);
            else
                Gemm.Multiply(s.TransA, s.TransB, s.M, s.N, s.K, s.Alpha, Inputs[0].Floats, lda, Inputs[1].Floats, ldb, beta, y, s.N, epilogue, ctx.Pool);
            if (!relu) _activation.Apply(y);
        }

        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is not { } dyT) return;
            var s = _s;
            var dy = dyT.Floats;
            int lda = s.TransA ? s.M : s.K, ldb = s.TransB ? s.K : s.N;
            if (InputGrads[0] is { } dA)
            {
                // d op(A) = alpha * dY * op(B)^T; a transposed A receives its transpose, alpha * op(B) * dY^T.
                if (!s.TransA) Gemm.Multiply(false, !s.TransB, s.M, s.K, s.N, s.Alpha, dy, s.N, Inputs[1].Floats, ldb, 1f, dA.Floats, s.K, ctx.Pool);
                else Gemm.Multiply(s.TransB, true, s.K, s.M, s.N, s.Alpha, Inputs[1].Floats, ldb, dy, s.N, 1f, dA.Floats, s.M, ctx.Pool);
            }
            if (InputGrads[1] is { } dB)
            {
                // d op(B) = alpha * op(A)^T * dY; a transposed B receives alpha * dY^T * op(A).
                if (!s.TransB) Gemm.Multiply(!s.TransA, false, s.K, s.N, s.M, s.Alpha, Inputs[0].Floats, lda, dy, s.N, 1f, dB.Floats, s.N, ctx.Pool);
                else Gemm.Multiply(true, s.TransA, s.N, s.K, s.M, s.Alpha, dy, s.N, Inputs[0].Floats, lda, 1f, dB.Floats, s.K, ctx.Pool);
            }
            if (Has(2) && InputGrads.Length > 2 && InputGrads[2] is { } dC)
            {
                // dC = beta * dY summed over the dimensions C was broadcast along.
                var dc = dC.Floats;
                for (int i = 0; i < s.M; i++)
                {
                    var row = dy.Slice(i * s.N, s.N);
                    int ci = s.CRows == 1 ? 0 : i * s.CCols;
                    if (s.CCols == 1)
                    {
                        float sum = 0;
                        foreach (var v in row) sum += v;
                        dc[ci] += s.Beta * sum;
                    }
                    else
                        for (int j = 0; j < s.N; j++) dc[ci + j] += s.Beta * row[j];
                }
            }
        }
    }
}
