using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// A dense layer with a constant sparse weight: y[M, N] = act(op(A)[M, K] W[K, N] + bias[N]), the weight kept by
/// output (S = W^T, rows N, columns K). Batch 1 is a sparse dot product per output (<see cref="SparseGemv"/>).
/// Larger batches transpose A once into X[K, M] so that each nonzero S[n, k] adds value * X[k, :], a contiguous
/// vector over the batch (<see cref="SparseTiles"/>), into Y^T[n, :]; each task computes a group of outputs for the
/// whole batch and transposes its block back into y. Fixed shapes: one instance per plan.
/// </summary>
public sealed unsafe class SparseLinear : IParallelWork
{
    /// <summary>Outputs per task at batch above 1: 32 floats of a row of y, whole cache lines for the threads.</summary>
    private const int GroupRows = 32;
    /// <summary>Stored entries times batch below which a product runs on the calling thread.</summary>
    internal static long ParallelWork = 1 << 15;

    private readonly int _m, _k, _n;
    private readonly bool _transA;
    private readonly SparseOperand _s;
    private readonly int _ldx;
    private readonly float[] _xt = [];
    private readonly int[] _bounds;
    private readonly int _rowsPerUnit;

    // Operands of the current run, read by the parallel bodies.
    private float* _a, _y, _bias;
    private int _parts;
    private bool _transposing;

    /// <summary>The weight as found (rows are outputs).</summary>
    public SparseRows Matrix { get; }
    /// <summary>The storage the kernels use.</summary>
    public SparseLayout Layout { get; }
    /// <summary>The structure found in the weight's zeros.</summary>
    public SparsePattern Pattern { get; }
    /// <summary>Activation applied to the output (Relu inside the kernels, others right after each block).</summary>
    public FusedActivation Activation { get; init; }

    /// <summary>
    /// A layer for op(A)[M, K] times op(B)[K, N]; B is [K, N] or, with <paramref name="transB"/>, [N, K] (row-major,
    /// unpadded), its values multiplied by <paramref name="alpha"/>. op(A) is A [M, K], or A [K, M] with
    /// <paramref name="transA"/>.
    /// </summary>
    public SparseLinear(int m, int k, int n, ReadOnlySpan<float> b, bool transB, float alpha, bool transA, SparseLayout layout)
        : this(m, k, n, transA, SparseRows.FromDense(b, n, k, transB ? k : n, transposed: !transB, scale: alpha), layout) { }

    /// <summary>A layer over a weight already in row form (rows N outputs, columns K).</summary>
    public SparseLinear(int m, int k, int n, bool transA, SparseRows s, SparseLayout layout)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (m < 0 || k < 0 || n < 0) throw new ArgumentOutOfRangeException(nameof(m), "sizes must not be negative");
        if (s.Rows != n || s.Cols != k) throw new ArgumentException($"the sparse weight is {s.Rows}x{s.Cols} but the layer needs {n}x{k}");
        _m = m; _k = k; _n = n; _transA = transA;
        Matrix = s;
        Layout = layout;
        Pattern = SparsePattern.Analyze(s);
        int w = System.Numerics.Vector<float>.Count;
        _ldx = m <= 1 ? 1 : (m + w - 1) / w * w;
        _s = SparseOperand.Create(s, layout, d => d * _ldx);
        _rowsPerUnit = layout == SparseLayout.Block4 ? 4 : 1;
        // One slack vector: the last vector of a row of X may be read past the batch.
        if (m > 1) _xt = GC.AllocateArray<float>(k * _ldx + w, pinned: true);
        _bounds = new int[Math.Max(2, n / GroupRows + 2) + 64];
    }

    /// <summary>A short name for profiles, e.g. "sparse-csr(density 0.08)" or "nm-2:4".</summary>
    public string Describe() => SparseNames.Describe(Layout, Pattern, Matrix.Density, _m == 1 ? "gemv" : null)
        + (Activation.IsNone ? "" : "+" + Activation);

    /// <summary>y = act(op(A) W + bias); bias is empty or [N]; y is [M, N].</summary>
    public void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> bias, Span<float> y, WorkerPool? pool)
    {
        if (a.Length < (long)_m * _k) throw new ArgumentException($"A has {a.Length} values but needs {(long)_m * _k}", nameof(a));
        if (y.Length < (long)_m * _n) throw new ArgumentException($"y has {y.Length} values but needs {(long)_m * _n}", nameof(y));
        if (!bias.IsEmpty && bias.Length < _n) throw new ArgumentException($"bias has {bias.Length} values but needs {_n}", nameof(bias));
        if (_m == 0 || _n == 0) return;
        int threads = pool?.Threads ?? 1;
        bool parallel = threads > 1 && _s.Stored * Math.Max(_m, 1) >= ParallelWork;
        fixed (float* pa = a, py = y, pb = bias)
        {
            _a = pa; _y = py; _bias = bias.IsEmpty ? null : pb;
            if (_m == 1)
            {
                // Several parts per thread: a thread that is descheduled mid-run (a shared machine) then holds up less.
                _parts = _s.Partition(parallel ? Math.Min(4 * threads, 64) : 1, _bounds);
                this.RunAll(_parts, parallel, pool);
            }
            else
            {
                // Phase 1: X[K, M] from A, in column chunks of K; phase 2: groups of outputs.
                _transposing = true;
                _parts = parallel ? Math.Min(threads, (_k + 7) / 8) : 1;
                this.RunAll(_parts, parallel && _m * _k >= 8192, pool);
                _transposing = false;
                int units = (_n + _rowsPerUnit - 1) / _rowsPerUnit;
                int perTask = GroupRows / _rowsPerUnit;
                _parts = (units + perTask - 1) / perTask;
                this.RunAll(_parts, parallel, pool);
            }
            _a = _y = _bias = null;
        }
    }

    /// <inheritdoc/>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Run(int index)
    {
        if (_m == 1) Gemv(index);
        else if (_transposing) Transpose(index);
        else Group(index);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Gemv(int part)
    {
        int u0 = _bounds[part], u1 = _bounds[part + 1];
        if (u1 <= u0) return;
        float* x = _a;  // op(A) row 0 is contiguous for both A [1, K] and A [K, 1]
        bool relu = Activation.IsRelu;
        if (Layout == SparseLayout.Block4) SparseGemv.Block4(_s, x, u0, u1, _y, _bias, relu);
        else SparseGemv.Csr(_s, x, u0, u1, _y, _bias, relu);
        if (!relu && !Activation.IsNone)
        {
            int r0 = u0 * _rowsPerUnit, r1 = Math.Min(_n, u1 * _rowsPerUnit);
            Activation.Apply(new Span<float>(_y + r0, r1 - r0));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Transpose(int part)
    {
        int chunk = (_k + 7) / 8 / _parts * 8;
        if (chunk == 0) chunk = 8;
        int k0 = Math.Min(_k, part * chunk), k1 = part == _parts - 1 ? _k : Math.Min(_k, k0 + chunk);
        if (k1 <= k0) return;
        fixed (float* xt = _xt)
        {
            if (!_transA) BlockTranspose.Run(_a + k0, _m, k1 - k0, _k, xt + (nint)k0 * _ldx, _ldx);
            else
                for (int k = k0; k < k1; k++) new ReadOnlySpan<float>(_a + (nint)k * _m, _m).CopyTo(new Span<float>(xt + (nint)k * _ldx, _m));
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void Group(int task)
    {
        int perTask = GroupRows / _rowsPerUnit;
        int units = (_n + _rowsPerUnit - 1) / _rowsPerUnit;
        int u0 = task * perTask, u1 = Math.Min(units, u0 + perTask);
        int r0 = u0 * _rowsPerUnit, r1 = Math.Min(_n, u1 * _rowsPerUnit);
        float* tile = GemmScratch.Get(0, GroupRows * _ldx);
        fixed (float* xt = _xt)
        {
            // The tile holds Y^T rows r0.. with bias and Relu already applied; row r of S is row r - r0 of the tile.
            var args = new SpmmArgs
            {
                X = xt,
                Y = tile - (nint)r0 * _ldx,
                Ldy = _ldx,
                RowBias = _bias,
                Relu = Activation.IsRelu,
            };
            _s.Run(args, u0, u1, 0, _m);
            if (!Activation.IsRelu && !Activation.IsNone) Activation.Apply(new Span<float>(tile, (r1 - r0) * _ldx));
            BlockTranspose.Run(tile, r1 - r0, _m, _ldx, _y + r0, _n);
        }
    }

    /// <summary>Scalar reference of <see cref="Forward"/>: double sums, same epilogue.</summary>
    public static void Reference(int m, int k, int n, ReadOnlySpan<float> a, bool transA, SparseRows s, ReadOnlySpan<float> bias,
        FusedActivation activation, Span<float> y)
    {
        for (int i = 0; i < m; i++)
            for (int r = 0; r < n; r++)
            {
                double acc = 0;
                for (int z = s.RowStart[r]; z < s.RowStart[r + 1]; z++)
                {
                    int c = s.Columns[z];
                    acc += (double)s.Values[z] * (transA ? a[c * m + i] : a[i * k + c]);
                }
                y[i * n + r] = (float)acc + (bias.IsEmpty ? 0 : bias[r]);
            }
        activation.ApplyReference(y[..(m * n)]);
    }
}
