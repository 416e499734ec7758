using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// The batch-1 case y[R] = S x[D] (+ bias, Relu): a sparse dot product per row, memory-bound, so each nonzero costs
/// its value, its column and one read of x. With AVX2 eight columns are gathered at once (two accumulators hide the
/// gather latency); blocks of four rows multiply one broadcast x value by four values in one 4-float vector.
/// </summary>
internal static unsafe class SparseGemv
{
    /// <summary>Whether AVX2 gathers are used where supported (false: the scalar loop; for comparisons).</summary>
    internal static bool UseGather = true;

    /// <summary>Rows [r0, r1) of a CSR operand whose offsets are column indices of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Csr(SparseOperand s, float* x, int r0, int r1, float* y, float* bias, bool relu)
    {
        int* start = s.Start, col = s.Off;
        float* val = s.Val;
        for (int r = r0; r < r1; r++)
        {
            int z = start[r], end = start[r + 1];
            float acc = 0;
            if (UseGather && Avx2.IsSupported && end - z >= 8)
            {
                Vector256<float> s0 = default, s1 = default;
                for (; z + 16 <= end; z += 16)
                {
                    s0 = Vector256.MultiplyAddEstimate(Vector256.Load(val + z), Avx2.GatherVector256(x, Vector256.Load(col + z), 4), s0);
                    s1 = Vector256.MultiplyAddEstimate(Vector256.Load(val + z + 8), Avx2.GatherVector256(x, Vector256.Load(col + z + 8), 4), s1);
                }
                if (z + 8 <= end)
                {
                    s0 = Vector256.MultiplyAddEstimate(Vector256.Load(val + z), Avx2.GatherVector256(x, Vector256.Load(col + z), 4), s0);
                    z += 8;
                }
                acc = Vector256.Sum(s0 + s1);
            }
            float t0 = 0, t1 = 0;
            for (; z + 1 < end; z += 2)
            {
                t0 = float.MultiplyAddEstimate(val[z], x[col[z]], t0);
                t1 = float.MultiplyAddEstimate(val[z + 1], x[col[z + 1]], t1);
            }
            if (z < end) t0 = float.MultiplyAddEstimate(val[z], x[col[z]], t0);
            float v = acc + (t0 + t1) + (bias == null ? 0 : bias[r]);
            y[r] = relu ? (v > 0 ? v : 0) : v;
        }
        GC.KeepAlive(s);
    }

    /// <summary>Blocks [b0, b1) of four rows of a <see cref="SparseLayout.Block4"/> operand whose offsets are column indices.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Block4(SparseOperand s, float* x, int b0, int b1, float* y, float* bias, bool relu)
    {
        int* start = s.Start, col = s.Off;
        float* val = s.Val;
        int rows = s.Rows;
        float* tmp = stackalloc float[4];
        for (int b = b0; b < b1; b++)
        {
            int z = start[b], end = start[b + 1];
            Vector128<float> a0 = default, a1 = default;
            for (; z + 1 < end; z += 2)
            {
                a0 = Vector128.MultiplyAddEstimate(Vector128.Create(x[col[z]]), Vector128.Load(val + 4 * (nint)z), a0);
                a1 = Vector128.MultiplyAddEstimate(Vector128.Create(x[col[z + 1]]), Vector128.Load(val + 4 * (nint)z + 4), a1);
            }
            if (z < end) a0 = Vector128.MultiplyAddEstimate(Vector128.Create(x[col[z]]), Vector128.Load(val + 4 * (nint)z), a0);
            (a0 + a1).Store(tmp);
            int r0 = 4 * b, live = Math.Min(4, rows - r0);
            for (int q = 0; q < live; q++)
            {
                float v = tmp[q] + (bias == null ? 0 : bias[r0 + q]);
                y[r0 + q] = relu ? (v > 0 ? v : 0) : v;
            }
        }
        GC.KeepAlive(s);
    }

    /// <summary>Scalar reference of both layouts (double sums).</summary>
    public static void Reference(SparseOperand s, float* x, int u0, int u1, float* y, float* bias, bool relu)
    {
        int* start = s.Start, col = s.Off;
        float* val = s.Val;
        for (int u = u0; u < u1; u++)
        {
            var (first, count) = s.RowsOf(u);
            for (int q = 0; q < count; q++)
            {
                double acc = 0;
                for (int z = start[u]; z < start[u + 1]; z++)
                    acc += (double)(s.Layout == SparseLayout.Block4 ? val[4 * z + q] : val[z]) * x[col[z]];
                float v = (float)acc + (bias == null ? 0 : bias[first + q]);
                y[first + q] = relu ? (v > 0 ? v : 0) : v;
            }
        }
        GC.KeepAlive(s);
    }
}

