using System.Numerics;
using System.Numerics.Tensors;

namespace Prunus.Kernels;

/// <summary>
/// Integer matrix products with exact int32 accumulation (wrapping on overflow, as ONNX allows):
/// C[m,n] = Σ_k (A[m,k] − za[m]) · (B[k,n] − zb[n]) for 8-bit operands, row-major, za with 1 or M entries and zb with 1
/// or N. <see cref="Reference{TA, TB}"/> is the plain definition that faster kernels are compared with;
/// <see cref="Multiply{TA, TB}"/> is the path the ops run.
/// </summary>
public static class IntegerMatMul
{
    /// <summary>Scratch ints <see cref="Multiply{TA, TB}"/> needs for a product of inner size <paramref name="k"/> and <paramref name="n"/> columns.</summary>
    public static int ScratchLength(int k, int n) => k * n;

    /// <summary>The definition: a triple loop over widened, zero-point-shifted operands. C [M,N] is overwritten.</summary>
    public static void Reference<TA, TB>(int m, int n, int k, ReadOnlySpan<TA> a, ReadOnlySpan<int> za, ReadOnlySpan<TB> b,
        ReadOnlySpan<int> zb, Span<int> c) where TA : unmanaged, IBinaryInteger<TA> where TB : unmanaged, IBinaryInteger<TB>
    {
        Check(m, n, k, a.Length, za.Length, b.Length, zb.Length, c.Length);
        for (int i = 0; i < m; i++)
        {
            int zai = za.Length == 1 ? za[0] : za[i];
            for (int j = 0; j < n; j++)
            {
                int zbj = zb.Length == 1 ? zb[0] : zb[j];
                int s = 0;
                for (int p = 0; p < k; p++)
                    s = unchecked(s + (int.CreateTruncating(a[i * k + p]) - zai) * (int.CreateTruncating(b[p * n + j]) - zbj));
                c[i * n + j] = s;
            }
        }
    }

    /// <summary>
    /// The same product: B − zb widened once into <paramref name="scratch"/> (at least <see cref="ScratchLength"/> ints),
    /// then each row of C accumulated as Σ_k (A[m,k] − za[m]) · row k of the shifted B, with vector multiply-adds.
    /// </summary>
    public static void Multiply<TA, TB>(int m, int n, int k, ReadOnlySpan<TA> a, ReadOnlySpan<int> za, ReadOnlySpan<TB> b,
        ReadOnlySpan<int> zb, Span<int> c, Span<int> scratch) where TA : unmanaged, IBinaryInteger<TA> where TB : unmanaged, IBinaryInteger<TB>
    {
        Check(m, n, k, a.Length, za.Length, b.Length, zb.Length, c.Length);
        var shifted = scratch[..(k * n)];
        for (int p = 0; p < k; p++)
            for (int j = 0; j < n; j++)
                shifted[p * n + j] = int.CreateTruncating(b[p * n + j]) - (zb.Length == 1 ? zb[0] : zb[j]);
        for (int i = 0; i < m; i++)
        {
            int zai = za.Length == 1 ? za[0] : za[i];
            var row = c.Slice(i * n, n);
            row.Clear();
            for (int p = 0; p < k; p++)
            {
                int av = int.CreateTruncating(a[i * k + p]) - zai;
                if (av != 0) TensorPrimitives.MultiplyAdd(shifted.Slice(p * n, n), av, row, row);
            }
        }
    }

    /// <summary>C [M,N] = A [M,K] · B [K,N] on int32 operands whose zero points are already subtracted (lowered convolutions).</summary>
    public static void Multiply(int m, int n, int k, ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> c)
    {
        if (a.Length < m * k || b.Length < k * n || c.Length < m * n) throw new ArgumentException($"operands too short for [{m},{k}] x [{k},{n}]");
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * n, n);
            row.Clear();
            for (int p = 0; p < k; p++)
            {
                int av = a[i * k + p];
                if (av != 0) TensorPrimitives.MultiplyAdd(b.Slice(p * n, n), av, row, row);
            }
        }
    }

    /// <summary>The definition of <see cref="Multiply(int, int, int, ReadOnlySpan{int}, ReadOnlySpan{int}, Span{int})"/>.</summary>
    public static void MultiplyReference(int m, int n, int k, ReadOnlySpan<int> a, ReadOnlySpan<int> b, Span<int> c)
    {
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                int s = 0;
                for (int p = 0; p < k; p++) s = unchecked(s + a[i * k + p] * b[p * n + j]);
                c[i * n + j] = s;
            }
    }

    private static void Check(int m, int n, int k, int a, int za, int b, int zb, int c)
    {
        if (a < m * k || b < k * n || c < m * n)
            throw new ArgumentException($"operands of {a}, {b} and {c} elements are too short for [{m},{k}] x [{k},{n}]");
        if (za != 1 && za != m || zb != 1 && zb != n)
            throw new ArgumentException($"zero points need 1 or {m} entries for A and 1 or {n} for B, got {za} and {zb}");
    }
}
