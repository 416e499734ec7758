using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Threading;
using Tensor = Prunus.Tensors.Tensor;

namespace Prunus.Graph.Ops;

/// <summary>
/// Einsum on one or two float32 or float64 operands: y[output labels] = Σ over the other labels of the product of the
/// operands. Two operands become a batched GEMM: labels in both and in the output are the batch, in A only the rows M,
/// in B only the columns N, in both but not the output the depth K; labels in one operand only and not the output are
/// summed first. Operands and result are permuted by strided copies only when their layout is not already the GEMM's.
/// Gradients flow for float32.
/// </summary>
public sealed class EinsumOp : Operator
{
    public override string OpType => "Einsum";

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var eq = Parse(ctx);
        return [new TensorInfo(ctx.Input(0).Type, eq.Output.Select(l => eq.Extents[l]).ToArray())];
    }

    private static EinsumEquation Parse(NodeContext ctx)
    {
        if (!ctx.HasAttribute("equation")) throw ctx.Error("needs the 'equation' attribute");
        if (ctx.InputCount is < 1 or > 2)
            throw ctx.Error($"has {ctx.InputCount} operands; Prunus supports Einsum on one or two (chain the products for more)");
        var type = ctx.Input(0).Type;
        if (type is not (DataType.Float32 or DataType.Float64)) throw ctx.Error($"input type {type} is not supported (use Float32 or Float64)");
        for (int i = 1; i < ctx.InputCount; i++) ctx.ExpectType(i, type);
        try { return EinsumEquation.Parse(ctx.String("equation", ""), Enumerable.Range(0, ctx.InputCount).Select(ctx.Shape).ToArray()); }
        catch (ArgumentException e) { throw ctx.Error(e.Message); }
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var eq = Parse(ctx);
        bool single = ctx.InputCount == 1;
        if (ctx.Input(0).Type == DataType.Float64)
            return single ? new ReduceKernel<double>(eq, ctx.Shape(0)) : new ProductKernel<double>(eq, ctx.Shape(0), ctx.Shape(1));
        return single ? new ReduceKernel<float>(eq, ctx.Shape(0)) : new ProductKernel<float>(eq, ctx.Shape(0), ctx.Shape(1));
    }

    /// <summary>One operand: a strided copy into [output labels, summed labels], then row sums over the summed ones.</summary>
    private sealed class ReduceKernel<T> : Kernel where T : unmanaged, INumber<T>
    {
        private readonly (int[] Shape, int[] Strides) _walk;
        private readonly int _summed;
        private readonly T[]? _full;
        private float[]? _gradFull;

        public ReduceKernel(EinsumEquation eq, int[] shape)
        {
            var summed = eq.Operands[0].Distinct().Where(l => !eq.Output.Contains(l)).ToArray();
            _walk = eq.Walk(0, shape, eq.Output.Concat(summed).ToArray());
            _summed = eq.Size(summed);
            if (_summed != 1) _full = new T[eq.Size(eq.Output) * _summed];
        }

        public override void Forward(RunContext ctx)
        {
            var y = Outputs[0].Span<T>();
            if (_full is null) { DataMovement.Gather<T>(Inputs[0].Span<T>(), 0, _walk.Shape, _walk.Strides, y); return; }
            DataMovement.Gather<T>(Inputs[0].Span<T>(), 0, _walk.Shape, _walk.Strides, _full);
            for (int r = 0; r < y.Length; r++) y[r] = TensorPrimitives.Sum<T>(_full.AsSpan(r * _summed, _summed));
        }

        // Each output's gradient goes to every element summed into it, back along the walk.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dyT) return;
            var dy = dyT.Floats;
            if (_summed == 1) { DataMovement.ScatterAdd(dy, dx.Floats, 0, _walk.Shape, _walk.Strides); return; }
            var full = _gradFull ??= new float[_full!.Length];
            for (int r = 0; r < dy.Length; r++) full.AsSpan(r * _summed, _summed).Fill(dy[r]);
            DataMovement.ScatterAdd(full, dx.Floats, 0, _walk.Shape, _walk.Strides);
        }

        public override string Algorithm => "einsum-reduce";
    }

    /// <summary>How one GEMM operand is prepared: used in place, or copied along a walk and then summed over private labels.</summary>
    private sealed class Operand<T> where T : unmanaged, INumber<T>
    {
        public (int[] Shape, int[] Strides) Walk;
        /// <summary>The operand is used as stored (its layout is already the GEMM's).</summary>
        public bool Direct;
        /// <summary>Stored as the transpose of the GEMM's operand ([K, M] for A, [N, K] for B).</summary>
        public bool Transposed;
        /// <summary>Product of the extents of the labels only this operand has and the output lacks.</summary>
        public int Summed = 1;
        /// <summary>The copy along the walk (with the summed labels innermost), and the summed result; null when direct.</summary>
        public T[]? Full, Reduced;
        /// <summary>Backward scratch: the gradient in GEMM layout and spread over the summed labels; made on first use.</summary>
        public float[]? Grad, GradFull;

        public static Operand<T> Create(EinsumEquation eq, int index, int[] shape, int[] batch, int[] rows, int[] depth, int[] own)
        {
            var plain = eq.Walk(index, shape, [.. batch, .. rows, .. depth, .. own]);
            if (own.Length == 0 && EinsumEquation.IsIdentity(plain)) return new Operand<T> { Walk = plain, Direct = true };
            var swapped = eq.Walk(index, shape, [.. batch, .. depth, .. rows]);
            if (own.Length == 0 && EinsumEquation.IsIdentity(swapped)) return new Operand<T> { Walk = swapped, Direct = true, Transposed = true };
            var op = new Operand<T> { Walk = plain, Summed = eq.Size(own) };
            int size = eq.Size(batch) * eq.Size(rows) * eq.Size(depth);
            op.Full = new T[size * op.Summed];
            op.Reduced = op.Summed == 1 ? op.Full : new T[size];
            return op;
        }

        /// <summary>Copies and sums the operand into GEMM layout, unless it is used as stored.</summary>
        public void Prepare(Tensor input)
        {
            if (Direct) return;
            DataMovement.Gather<T>(input.Span<T>(), 0, Walk.Shape, Walk.Strides, Full!);
            if (Summed != 1)
                for (int r = 0; r < Reduced!.Length; r++) Reduced[r] = TensorPrimitives.Sum<T>(Full.AsSpan(r * Summed, Summed));
        }

        /// <summary>The operand in GEMM layout as the last <see cref="Prepare"/> left it.</summary>
        public ReadOnlySpan<T> Prepared(Tensor input) => Direct ? input.Span<T>() : Reduced;

        /// <summary>Where the GEMM-layout gradient is written: dx itself (accumulating) when direct, else scratch (overwritten).</summary>
        public Span<float> GradTarget(Tensor dx, out float beta)
        {
            if (Direct) { beta = 1f; return dx.Floats; }
            beta = 0f;
            return Grad ??= new float[Reduced!.Length];
        }

        /// <summary>Adds the scratch gradient back into dx: spread over the summed labels, then along the walk.</summary>
        public void Scatter(Tensor dx)
        {
            if (Direct) return;
            var g = Grad!;
            if (Summed != 1)
            {
                var full = GradFull ??= new float[Full!.Length];
                for (int r = 0; r < g.Length; r++) full.AsSpan(r * Summed, Summed).Fill(g[r]);
                g = full;
            }
            DataMovement.ScatterAdd(g, dx.Floats, 0, Walk.Shape, Walk.Strides);
        }
    }

    /// <summary>Two operands: C[b, M, N] = A[b, M, K] B[b, K, N] per batch index b, then C permuted into the output.</summary>
    private sealed class ProductKernel<T> : Kernel, IParallelWork where T : unmanaged, INumber<T>
    {
        private readonly Operand<T> _a, _b;
        private readonly int _batch, _m, _n, _k;
        private readonly (int[] Shape, int[] Strides) _toOutput, _fromOutput;
        private readonly bool _outputDirect;
        private readonly T[]? _c;
        private float[]? _dc;

        public ProductKernel(EinsumEquation eq, int[] shapeA, int[] shapeB)
        {
            var inA = eq.Operands[0].Distinct().ToArray();
            var inB = eq.Operands[1].Distinct().ToArray();
            var output = eq.Output;
            int[] batch = output.Where(l => inA.Contains(l) && inB.Contains(l)).ToArray();
            int[] rows = output.Where(l => inA.Contains(l) && !inB.Contains(l)).ToArray();
            int[] cols = output.Where(l => inB.Contains(l) && !inA.Contains(l)).ToArray();
            int[] depth = inA.Where(l => inB.Contains(l) && !output.Contains(l)).ToArray();
            int[] ownA = inA.Where(l => !inB.Contains(l) && !output.Contains(l)).ToArray();
            int[] ownB = inB.Where(l => !inA.Contains(l) && !output.Contains(l)).ToArray();
            _a = Operand<T>.Create(eq, 0, shapeA, batch, rows, depth, ownA);
            _b = Operand<T>.Create(eq, 1, shapeB, batch, depth, cols, ownB);
            (_batch, _m, _n, _k) = (eq.Size(batch), eq.Size(rows), eq.Size(cols), eq.Size(depth));

            // C in [batch, rows, cols] order; the output reads it along _toOutput, and dy is read back along _fromOutput.
            int[] canonical = [.. batch, .. rows, .. cols];
            var cStrides = ShapeMath.Strides(canonical.Select(l => eq.Extents[l]).ToArray());
            var outExtents = output.Select(l => eq.Extents[l]).ToArray();
            _toOutput = DataMovement.Coalesce(outExtents, output.Select(l => cStrides[Array.IndexOf(canonical, l)]).ToArray());
            var outStrides = ShapeMath.Strides(outExtents);
            _fromOutput = DataMovement.Coalesce(canonical.Select(l => eq.Extents[l]).ToArray(), canonical.Select(l => outStrides[Array.IndexOf(output, l)]).ToArray());
            _outputDirect = EinsumEquation.IsIdentity(_toOutput);
            if (!_outputDirect) _c = new T[_batch * _m * _n];
        }

        public override void Forward(RunContext ctx)
        {
            _a.Prepare(Inputs[0]);
            _b.Prepare(Inputs[1]);
            if (_m == 1 && _n == 1) Dots();
            // Independent products: small ones run one per thread, large ones each use the whole pool.
            else if (_batch > 1 && 2.0 * _m * _n * _k < 2e6) ctx.Pool.For(_batch, this);
            else
                for (int t = 0; t < _batch; t++) Product(t, ctx.Pool);
            if (!_outputDirect) DataMovement.Gather<T>(_c, 0, _toOutput.Shape, _toOutput.Strides, Outputs[0].Span<T>());
        }

        void IParallelWork.Run(int index) => Product(index, null);

        // One row and one column per batch index (elementwise products, row dots): a dot product each, no GEMM call.
        private void Dots()
        {
            var a = _a.Prepared(Inputs[0]);
            var b = _b.Prepared(Inputs[1]);
            var c = _outputDirect ? Outputs[0].Span<T>() : _c;
            if (_k == 1) TensorPrimitives.Multiply<T>(a[.._batch], b[.._batch], c[.._batch]);
            else
                for (int t = 0; t < _batch; t++) c[t] = TensorPrimitives.Dot<T>(a.Slice(t * _k, _k), b.Slice(t * _k, _k));
        }

        // The gradient of Dots: dA_t = dc_t B_t and dB_t = dc_t A_t, written (beta 0) or added (beta 1) into g.
        private void DotGradient(ReadOnlySpan<float> dc, ReadOnlySpan<float> other, Span<float> g, float beta)
        {
            int k = _k;
            if (k == 1)
            {
                if (beta == 0) TensorPrimitives.Multiply(dc, other[.._batch], g[.._batch]);
                else TensorPrimitives.MultiplyAdd(dc, other[.._batch], g[.._batch], g[.._batch]);
                return;
            }
            for (int t = 0; t < _batch; t++)
            {
                var gt = g.Slice(t * k, k);
                if (beta == 0) TensorPrimitives.Multiply(other.Slice(t * k, k), dc[t], gt);
                else TensorPrimitives.MultiplyAdd(other.Slice(t * k, k), dc[t], gt, gt);
            }
        }

        private void Product(int t, WorkerPool? pool)
        {
            var a = _a.Prepared(Inputs[0])[(t * _m * _k)..];
            var b = _b.Prepared(Inputs[1])[(t * _k * _n)..];
            var c = (_outputDirect ? Outputs[0].Span<T>() : _c).Slice(t * _m * _n, _m * _n);
            int lda = _a.Transposed ? _m : _k, ldb = _b.Transposed ? _k : _n;
            if (typeof(T) == typeof(float))
                Gemm.Multiply(_a.Transposed, _b.Transposed, _m, _n, _k, 1f, MemoryMarshal.Cast<T, float>(a), lda,
                    MemoryMarshal.Cast<T, float>(b), ldb, 0f, MemoryMarshal.Cast<T, float>(c), _n, pool);
            else
                Gemm.MultiplyFloat64(_a.Transposed, _b.Transposed, _m, _n, _k, MemoryMarshal.Cast<T, double>(a), lda,
                    MemoryMarshal.Cast<T, double>(b), ldb, MemoryMarshal.Cast<T, double>(c), _n);
        }

        // dA = dC B^T and dB = A^T dC per batch index, in whichever stored layouts A and B have (float32 only).
        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is not { } dyT || InputGrads[0] is null && InputGrads[1] is null) return;
            ReadOnlySpan<float> dc = dyT.Floats;
            if (!_outputDirect)
            {
                var scratch = _dc ??= new float[_batch * _m * _n];
                DataMovement.Gather<float>(dyT.Floats, 0, _fromOutput.Shape, _fromOutput.Strides, scratch);
                dc = scratch;
            }
            var a = MemoryMarshal.Cast<T, float>(_a.Prepared(Inputs[0]));
            var b = MemoryMarshal.Cast<T, float>(_b.Prepared(Inputs[1]));
            int m = _m, n = _n, k = _k;
            bool ta = _a.Transposed, tb = _b.Transposed;
            if (InputGrads[0] is { } dA)
            {
                var g = _a.GradTarget(dA, out float beta);
                if (m == 1 && n == 1) DotGradient(dc, b, g, beta);
                else
                {
                    for (int t = 0; t < _batch; t++)
                    {
                        var dct = dc.Slice(t * m * n, m * n);
                        var bt = b[(t * k * n)..];
                        var gt = g.Slice(t * m * k, m * k);
                        if (!ta) Gemm.Multiply(false, !tb, m, k, n, 1f, dct, n, bt, tb ? k : n, beta, gt, k, ctx.Pool);
                        else Gemm.Multiply(tb, true, k, m, n, 1f, bt, tb ? k : n, dct, n, beta, gt, m, ctx.Pool);
                    }
                }
                _a.Scatter(dA);
            }
            if (InputGrads[1] is { } dB)
            {
                var g = _b.GradTarget(dB, out float beta);
                if (m == 1 && n == 1) DotGradient(dc, a, g, beta);
                else
                {
                    for (int t = 0; t < _batch; t++)
                    {
                        var dct = dc.Slice(t * m * n, m * n);
                        var at = a[(t * m * k)..];
                        var gt = g.Slice(t * k * n, k * n);
                        if (!tb) Gemm.Multiply(!ta, false, k, n, m, 1f, at, ta ? m : k, dct, n, beta, gt, n, ctx.Pool);
                        else Gemm.Multiply(true, ta, n, k, m, 1f, dct, n, at, ta ? m : k, beta, gt, k, ctx.Pool);
                    }
                }
                _b.Scatter(dB);
            }
        }

        public override string Algorithm => _m == 1 && _n == 1 ? "einsum-dot" : typeof(T) == typeof(float) ? "einsum-" + Gemm.KernelName : "einsum-float64";
    }
}
