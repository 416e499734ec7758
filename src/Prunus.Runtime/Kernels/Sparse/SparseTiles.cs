using System.Numerics;
using System.Runtime.CompilerServices;

namespace Prunus.Kernels;

/// <summary>
/// Where the product of a sparse row kernel goes: Y[r, l] = relu?(acc + RowBias[r] + Residual[r, l]). X is the dense
/// operand: a nonzero whose precomputed offset is o contributes value * X[o + l] to Y[r, l], so X's layout (a
/// transposed activation, a lowered image) is fixed at plan time and the kernels only add offsets.
/// </summary>
internal unsafe struct SpmmArgs
{
    /// <summary>The dense operand; may be read up to one vector past the last column of a range (callers keep slack there).</summary>
    public float* X;
    /// <summary>Output rows, Ldy apart.</summary>
    public float* Y;
    public nint Ldy;
    /// <summary>One value per row, or null.</summary>
    public float* RowBias;
    /// <summary>Added before the activation (a skip connection), LdRes apart; or null.</summary>
    public float* Residual;
    public nint LdRes;
    public bool Relu;
}

/// <summary>
/// Register-tiled kernels of Y[R, L] = S X for a constant sparse S: a tile is one row (or a block of four rows sharing
/// their columns) by up to twelve vectors of L; each nonzero is one broadcast of its value and one fused multiply-add
/// per vector, reading X at the nonzero's offset. Accumulation follows the stored order of the nonzeros; tiles of at
/// most four vectors keep two partial sums (even and odd nonzeros) to hide the multiply-add latency. Written once over
/// <see cref="Vector{T}"/>, so the same code runs 8-float (AVX2) or 4-float (SSE, NEON) vectors.
/// </summary>
internal static unsafe class SparseTiles
{
    /// <summary>Vectors of L per tile (12 accumulators plus a broadcast fit 16 registers).</summary>
    public const int MaxVectors = 12;

    private static int W => Vector<float>.Count;

    /// <summary>The L elements one tile covers: the chunk that drivers walk over.</summary>
    public static int Chunk => MaxVectors * W;

    /// <summary>
    /// Rows [r0, r1) over columns [l0, l1), CSR: row r's nonzeros are [start[r], start[r+1]) of off and val. Each row
    /// walks its whole range in one call (chunks of twelve vectors, then one narrower tile), so the per-tile work
    /// outside the multiply-adds is a few instructions.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Csr(in SpmmArgs a, int* start, int* off, float* val, int r0, int r1, int l0, int l1)
    {
        int w = W, chunk = Chunk, len = l1 - l0;
        if (len <= 0) return;
        int full = len / chunk, rest = len - full * chunk;
        int restVectors = (rest + w - 1) / w, last = rest - (restVectors - 1) * w;
        float* x = a.X + l0;
        for (int r = r0; r < r1; r++)
        {
            int z0 = start[r], n = start[r + 1] - z0;
            var t = new Tile(a, r, l0);
            if (full > 0) Wide<R12, Contiguous>(off + z0, val + z0, n, x, default, t, full, w);
            if (rest == 0) continue;
            t = t.Skip(full * chunk);
            float* xr = x + full * chunk;
            Tail(restVectors, off + z0, val + z0, n, xr, default(Contiguous), t, last);
        }
    }

    /// <summary>
    /// Blocks [b0, b1) of four rows each (rows 4b..4b+3, those at or past <paramref name="rows"/> skipped), over columns
    /// [l0, l1): block b's columns are [start[b], start[b+1]) of off, with four values per column in val (row-major).
    /// One load of X feeds four multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block4(in SpmmArgs a, int* start, int* off, float* val, int rows, int b0, int b1, int l0, int l1)
    {
        int w = W, chunk = 3 * w, len = l1 - l0;
        if (len <= 0) return;
        int full = len / chunk, rest = len - full * chunk;
        int restVectors = (rest + w - 1) / w, last = rest - (restVectors - 1) * w;
        float* x = a.X + l0;
        for (int b = b0; b < b1; b++)
        {
            int z0 = start[b], n = start[b + 1] - z0, r = 4 * b, live = Math.Min(4, rows - r);
            var t = new Tile(a, r, l0);
            float* v = val + 4 * (nint)z0;
            if (full > 0) Block<R3, Contiguous>(off + z0, v, n, x, default, live, t, full, w);
            if (rest == 0) continue;
            t = t.Skip(full * chunk);
            BlockTail(restVectors, off + z0, v, n, x + full * chunk, default(Contiguous), live, t, last);
        }
    }

    /// <summary>
    /// Output planes of <paramref name="oh"/> rows of <paramref name="ow"/> for rows [r0, r1), where the vectors of a
    /// tile are output rows rather than consecutive elements: vector v of the tile at output row h and column c reads X
    /// at the nonzero's offset plus (h + v) * <paramref name="xs"/> + c and is stored OW further on than vector v - 1. This reads a convolution's
    /// input rows in place (xs is the input row length), with no lowered copy. A row's last column chunk may hold fewer
    /// than a vector of outputs; its loads still read a whole vector, up to a vector past the row (callers keep slack).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void CsrRows(in SpmmArgs a, int* start, int* off, float* val, int r0, int r1, int oh, int ow, int xs)
    {
        int w = W;
        for (int r = r0; r < r1; r++)
        {
            int z0 = start[r], n = start[r + 1] - z0;
            for (int h = 0; h < oh; h += MaxVectors)
            {
                int rows = Math.Min(MaxVectors, oh - h);
                for (int c = 0; c < ow; c += w)
                {
                    var t = new Tile(a, r, h * ow + c, ow);
                    float* x = a.X + (nint)h * xs + c;
                    int last = Math.Min(w, ow - c);
                    Tail(rows, off + z0, val + z0, n, x, new Strided(xs), t, last);
                }
            }
        }
    }

    /// <summary>
    /// <see cref="CsrRows"/> for the four-row block layout: blocks [b0, b1) over output planes of <paramref name="oh"/>
    /// rows of <paramref name="ow"/>, tiles of four output channels by up to three output rows.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block4Rows(in SpmmArgs a, int* start, int* off, float* val, int rows, int b0, int b1, int oh, int ow, int xs)
    {
        int w = W;
        for (int b = b0; b < b1; b++)
        {
            int z0 = start[b], n = start[b + 1] - z0, r = 4 * b, live = Math.Min(4, rows - r);
            float* v = val + 4 * (nint)z0;
            for (int h = 0; h < oh; h += 3)
                for (int c = 0; c < ow; c += w)
                    BlockTail(Math.Min(3, oh - h), off + z0, v, n, a.X + (nint)h * xs + c, new Strided(xs), live,
                        new Tile(a, r, h * ow + c, ow), Math.Min(w, ow - c));
        }
    }

    /// <summary>One four-row tile of 1 to 3 vectors.</summary>
    private static void BlockTail<TS>(int vectors, int* off, float* val, int n, float* x, TS s, int live, Tile t, int last) where TS : struct, IStep
    {
        if (vectors == 3) Block<R3, TS>(off, val, n, x, s, live, t, 1, last);
        else if (vectors == 2) Block<R2, TS>(off, val, n, x, s, live, t, 1, last);
        else Block<R1, TS>(off, val, n, x, s, live, t, 1, last);
    }

    /// <summary>One tile of 1 to 12 vectors (<paramref name="vectors"/>), the last holding <paramref name="last"/> elements.</summary>
    private static void Tail<TS>(int vectors, int* off, float* val, int n, float* x, TS s, Tile t, int last) where TS : struct, IStep
    {
        switch (vectors)
        {
            case 12: Wide<R12, TS>(off, val, n, x, s, t, 1, last); break;
            case 11: Wide<R11, TS>(off, val, n, x, s, t, 1, last); break;
            case 10: Wide<R10, TS>(off, val, n, x, s, t, 1, last); break;
            case 9: Wide<R9, TS>(off, val, n, x, s, t, 1, last); break;
            case 8: Wide<R8, TS>(off, val, n, x, s, t, 1, last); break;
            case 7: Wide<R7, TS>(off, val, n, x, s, t, 1, last); break;
            case 6: Wide<R6, TS>(off, val, n, x, s, t, 1, last); break;
            case 5: Wide<R5, TS>(off, val, n, x, s, t, 1, last); break;
            case 4: Narrow<R4, TS>(off, val, n, x, s, t, last); break;
            case 3: Narrow<R3, TS>(off, val, n, x, s, t, last); break;
            case 2: Narrow<R2, TS>(off, val, n, x, s, t, last); break;
            default: Narrow<R1, TS>(off, val, n, x, s, t, last); break;
        }
    }

    /// <summary>
    /// Where vector k of a tile is read relative to its first (consecutive vectors, or rows a stride apart), and how
    /// many elements of it a tile stores when the tile's last column chunk holds <c>end</c>: only the last of
    /// consecutive vectors is partial, every one of a tile of rows is.
    /// </summary>
    private interface IStep
    {
        nint At(int k);
        int Count(bool lastVector, int end);
    }

    /// <summary>Consecutive vectors: a constant the JIT folds into each load's address.</summary>
    private readonly struct Contiguous : IStep
    {
        public nint At(int k) => k * W;
        public int Count(bool lastVector, int end) => lastVector ? end : W;
    }

    /// <summary>Vectors that are rows a stride apart.</summary>
    private readonly struct Strided(nint stride) : IStep
    {
        public nint At(int k) => k * stride;
        public int Count(bool lastVector, int end) => end;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector<float> Fma(Vector<float> v, float* p, Vector<float> acc) => Vector.MultiplyAddEstimate(v, Vector.Load(p), acc);

    /// <summary>
    /// 5 to 12 vectors, <paramref name="chunks"/> consecutive tiles of them: enough independent accumulators for a
    /// single pass over the nonzeros. The last vector of the last tile holds <paramref name="last"/> elements.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Wide<TV, TS>(int* off, float* val, int n, float* x, TS s, Tile t, int chunks, int last)
        where TV : struct, IRows where TS : struct, IStep
    {
        int w = W;
        for (int c = 0; c < chunks; c++, x += TV.Value * w, t = t.Skip(TV.Value * w))
        {
            Vector<float> a0 = default, a1 = default, a2 = default, a3 = default, a4 = default, a5 = default;
            Vector<float> a6 = default, a7 = default, a8 = default, a9 = default, a10 = default, a11 = default;
            for (int z = 0; z < n; z++)
            {
                float* p = x + off[z];
                var v = new Vector<float>(val[z]);
                a0 = Fma(v, p, a0);
                a1 = Fma(v, p + s.At(1), a1);
                a2 = Fma(v, p + s.At(2), a2);
                a3 = Fma(v, p + s.At(3), a3);
                a4 = Fma(v, p + s.At(4), a4);
                if (TV.Value > 5) a5 = Fma(v, p + s.At(5), a5);
                if (TV.Value > 6) a6 = Fma(v, p + s.At(6), a6);
                if (TV.Value > 7) a7 = Fma(v, p + s.At(7), a7);
                if (TV.Value > 8) a8 = Fma(v, p + s.At(8), a8);
                if (TV.Value > 9) a9 = Fma(v, p + s.At(9), a9);
                if (TV.Value > 10) a10 = Fma(v, p + s.At(10), a10);
                if (TV.Value > 11) a11 = Fma(v, p + s.At(11), a11);
            }
            int end = c == chunks - 1 ? last : w;
            var bias = new Vector<float>(t.Bias);
            t.Put(0, a0, bias, s.Count(TV.Value == 1, end));
            t.Put(1, a1, bias, s.Count(TV.Value == 2, end));
            t.Put(2, a2, bias, s.Count(TV.Value == 3, end));
            t.Put(3, a3, bias, s.Count(TV.Value == 4, end));
            t.Put(4, a4, bias, s.Count(TV.Value == 5, end));
            if (TV.Value > 5) t.Put(5, a5, bias, s.Count(TV.Value == 6, end));
            if (TV.Value > 6) t.Put(6, a6, bias, s.Count(TV.Value == 7, end));
            if (TV.Value > 7) t.Put(7, a7, bias, s.Count(TV.Value == 8, end));
            if (TV.Value > 8) t.Put(8, a8, bias, s.Count(TV.Value == 9, end));
            if (TV.Value > 9) t.Put(9, a9, bias, s.Count(TV.Value == 10, end));
            if (TV.Value > 10) t.Put(10, a10, bias, s.Count(TV.Value == 11, end));
            if (TV.Value > 11) t.Put(11, a11, bias, s.Count(true, end));
        }
    }

    /// <summary>1 to 4 vectors: even and odd nonzeros go to separate accumulators, summed at the end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Narrow<TV, TS>(int* off, float* val, int n, float* x, TS s, Tile t, int last)
        where TV : struct, IRows where TS : struct, IStep
    {
        int w = W;
        Vector<float> a0 = default, a1 = default, a2 = default, a3 = default;
        Vector<float> b0 = default, b1 = default, b2 = default, b3 = default;
        int z = 0;
        for (; z + 1 < n; z += 2)
        {
            float* p = x + off[z];
            float* q = x + off[z + 1];
            var v = new Vector<float>(val[z]);
            var u = new Vector<float>(val[z + 1]);
            a0 = Fma(v, p, a0);
            b0 = Fma(u, q, b0);
            if (TV.Value > 1) { a1 = Fma(v, p + s.At(1), a1); b1 = Fma(u, q + s.At(1), b1); }
            if (TV.Value > 2) { a2 = Fma(v, p + s.At(2), a2); b2 = Fma(u, q + s.At(2), b2); }
            if (TV.Value > 3) { a3 = Fma(v, p + s.At(3), a3); b3 = Fma(u, q + s.At(3), b3); }
        }
        if (z < n)
        {
            float* p = x + off[z];
            var v = new Vector<float>(val[z]);
            a0 = Fma(v, p, a0);
            if (TV.Value > 1) a1 = Fma(v, p + s.At(1), a1);
            if (TV.Value > 2) a2 = Fma(v, p + s.At(2), a2);
            if (TV.Value > 3) a3 = Fma(v, p + s.At(3), a3);
        }
        var bias = new Vector<float>(t.Bias);
        t.Put(0, a0 + b0, bias, s.Count(TV.Value == 1, last));
        if (TV.Value > 1) t.Put(1, a1 + b1, bias, s.Count(TV.Value == 2, last));
        if (TV.Value > 2) t.Put(2, a2 + b2, bias, s.Count(TV.Value == 3, last));
        if (TV.Value > 3) t.Put(3, a3 + b3, bias, s.Count(TV.Value == 4, last));
    }

    /// <summary>Four rows by 1 to 3 vectors, <paramref name="chunks"/> tiles; <paramref name="live"/> rows are stored (the block may overhang the matrix).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block<TV, TS>(int* off, float* val, int n, float* x, TS s, int live, Tile t, int chunks, int last)
        where TV : struct, IRows where TS : struct, IStep
    {
        int w = W;
        for (int c = 0; c < chunks; c++, x += TV.Value * w, t = t.Skip(TV.Value * w))
        {
            Vector<float> a0 = default, a1 = default, a2 = default, b0 = default, b1 = default, b2 = default;
            Vector<float> c0 = default, c1 = default, c2 = default, d0 = default, d1 = default, d2 = default;
            float* v4 = val;
            for (int z = 0; z < n; z++, v4 += 4)
            {
                float* p = x + off[z];
                var x0 = Vector.Load(p);
                var x1 = TV.Value > 1 ? Vector.Load(p + s.At(1)) : default;
                var x2 = TV.Value > 2 ? Vector.Load(p + s.At(2)) : default;
                var v = new Vector<float>(v4[0]);
                a0 = Vector.MultiplyAddEstimate(v, x0, a0);
                if (TV.Value > 1) a1 = Vector.MultiplyAddEstimate(v, x1, a1);
                if (TV.Value > 2) a2 = Vector.MultiplyAddEstimate(v, x2, a2);
                v = new Vector<float>(v4[1]);
                b0 = Vector.MultiplyAddEstimate(v, x0, b0);
                if (TV.Value > 1) b1 = Vector.MultiplyAddEstimate(v, x1, b1);
                if (TV.Value > 2) b2 = Vector.MultiplyAddEstimate(v, x2, b2);
                v = new Vector<float>(v4[2]);
                c0 = Vector.MultiplyAddEstimate(v, x0, c0);
                if (TV.Value > 1) c1 = Vector.MultiplyAddEstimate(v, x1, c1);
                if (TV.Value > 2) c2 = Vector.MultiplyAddEstimate(v, x2, c2);
                v = new Vector<float>(v4[3]);
                d0 = Vector.MultiplyAddEstimate(v, x0, d0);
                if (TV.Value > 1) d1 = Vector.MultiplyAddEstimate(v, x1, d1);
                if (TV.Value > 2) d2 = Vector.MultiplyAddEstimate(v, x2, d2);
            }
            int end = c == chunks - 1 ? last : w;
            Put3<TV, TS>(t, s, a0, a1, a2, end);
            if (live > 1) Put3<TV, TS>(t.Down(1), s, b0, b1, b2, end);
            if (live > 2) Put3<TV, TS>(t.Down(2), s, c0, c1, c2, end);
            if (live > 3) Put3<TV, TS>(t.Down(3), s, d0, d1, d2, end);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Put3<TV, TS>(Tile t, TS s, Vector<float> v0, Vector<float> v1, Vector<float> v2, int last)
        where TV : struct, IRows where TS : struct, IStep
    {
        var bias = new Vector<float>(t.Bias);
        t.Put(0, v0, bias, s.Count(TV.Value == 1, last));
        if (TV.Value > 1) t.Put(1, v1, bias, s.Count(TV.Value == 2, last));
        if (TV.Value > 2) t.Put(2, v2, bias, s.Count(true, last));
    }

    /// <summary>Where one row of a tile goes (its output, residual and bias) and what the epilogue does.</summary>
    internal readonly struct Tile
    {
        private readonly float* _y, _res, _rowBias;
        private readonly nint _ldy, _ldres, _vs;
        private readonly bool _relu;

        /// <summary>Row r from column l0, its vectors consecutive.</summary>
        public Tile(in SpmmArgs a, int r, int l0) : this(a, r, l0, W) { }

        /// <summary>Row r from column l0, vector k stored <paramref name="vectorStride"/> * k further on.</summary>
        public Tile(in SpmmArgs a, int r, int l0, int vectorStride)
        {
            _y = a.Y + r * a.Ldy + l0;
            _res = a.Residual == null ? null : a.Residual + r * a.LdRes + l0;
            _rowBias = a.RowBias == null ? null : a.RowBias + r;
            _ldy = a.Ldy;
            _ldres = a.LdRes;
            _vs = vectorStride;
            _relu = a.Relu;
        }

        private Tile(float* y, float* res, float* rowBias, nint ldy, nint ldres, nint vs, bool relu)
        {
            _y = y; _res = res; _rowBias = rowBias; _ldy = ldy; _ldres = ldres; _vs = vs; _relu = relu;
        }

        /// <summary>This row's bias (0 without one).</summary>
        public float Bias => _rowBias == null ? 0 : *_rowBias;

        /// <summary>The same row, <paramref name="columns"/> further along.</summary>
        public Tile Skip(int columns) => new(_y + columns, _res == null ? null : _res + columns, _rowBias, _ldy, _ldres, _vs, _relu);

        /// <summary>The row <paramref name="rows"/> below, same columns.</summary>
        public Tile Down(int rows) => new(_y + rows * _ldy, _res == null ? null : _res + rows * _ldres, _rowBias == null ? null : _rowBias + rows, _ldy, _ldres, _vs, _relu);

        /// <summary>Stores vector <paramref name="i"/>: its first <paramref name="count"/> elements (all when a whole vector).</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public void Put(int i, Vector<float> acc, Vector<float> bias, int count)
        {
            int w = W;
            float* y = _y + i * _vs;
            var s = acc + bias;
            if (count == w)
            {
                if (_res != null) s += Vector.Load(_res + i * _vs);
                if (_relu) s = Vector.ConditionalSelect(Vector.GreaterThan(s, Vector<float>.Zero), s, Vector<float>.Zero);
                s.Store(y);
                return;
            }
            for (int l = 0; l < count; l++)
            {
                float v = s[l];
                if (_res != null) v += _res[i * _vs + l];
                y[l] = _relu ? (v > 0 ? v : 0) : v;
            }
        }
    }

    /// <summary>Scalar reference of <see cref="Csr"/>: the same sums in the same order, element by element, in double.</summary>
    public static void CsrReference(in SpmmArgs a, int* start, int* off, float* val, int r0, int r1, int l0, int l1)
    {
        for (int r = r0; r < r1; r++)
            for (int l = l0; l < l1; l++)
            {
                double s = 0;
                for (int z = start[r]; z < start[r + 1]; z++) s += (double)val[z] * a.X[off[z] + l];
                ReferenceStore(a, r, l, s);
            }
    }

    /// <summary>Scalar reference of <see cref="Block4"/>.</summary>
    public static void Block4Reference(in SpmmArgs a, int* start, int* off, float* val, int rows, int b0, int b1, int l0, int l1)
    {
        for (int b = b0; b < b1; b++)
            for (int q = 0; q < 4 && 4 * b + q < rows; q++)
                for (int l = l0; l < l1; l++)
                {
                    double s = 0;
                    for (int z = start[b]; z < start[b + 1]; z++) s += (double)val[4 * z + q] * a.X[off[z] + l];
                    ReferenceStore(a, 4 * b + q, l, s);
                }
    }

    private static void ReferenceStore(in SpmmArgs a, int r, int l, double s)
    {
        float v = (float)s + (a.RowBias == null ? 0 : a.RowBias[r]);
        if (a.Residual != null) v += a.Residual[r * a.LdRes + l];
        a.Y[r * a.Ldy + l] = a.Relu ? (v > 0 ? v : 0) : v;
    }
}
