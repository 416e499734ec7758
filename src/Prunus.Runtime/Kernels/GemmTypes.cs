using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>The micro-kernel families; the widest one the hardware accelerates is used unless a test asks for another.</summary>
internal enum GemmIsa
{
    /// <summary>16 x 4-float vectors (SSE / NEON), 6 x 8 tiles.</summary>
    Vector128,
    /// <summary>16 x 8-float vectors (AVX2 + FMA), 6 x 16 tiles.</summary>
    Vector256,
    /// <summary>32 x 16-float vectors (AVX-512), 12 x 32 tiles.</summary>
    Vector512,
}

/// <summary>
/// How a finished tile is written: v = alpha * acc; v += beta * C (only when beta != 0, so C is not read otherwise);
/// then, on the last K block only, bias and Relu. The vector and scalar writers perform these same IEEE operations in
/// the same order, so a value does not depend on whether its tile was a full or an edge tile.
/// </summary>
internal unsafe struct GemmStore
{
    public float Alpha;
    public float Beta;
    /// <summary>Bias of the tile's column 0 (per-column bias), or null.</summary>
    public float* ColBias;
    /// <summary>Bias of the tile's row 0 (per-row bias), or null.</summary>
    public float* RowBias;
    public bool Relu;

    /// <summary>One element, scalar form of the vector writers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly float Finish(float acc, float* c, int row, int col)
    {
        float v = Alpha * acc;
        if (Beta != 0) v += Beta * *c;
        if (ColBias != null) v += ColBias[col];
        if (RowBias != null) v += RowBias[row];
        if (Relu) v = v > 0 ? v : 0;
        return v;
    }
}

/// <summary>A row count known to the JIT, so one kernel source yields a specialized kernel per edge height.</summary>
internal interface IRows { static abstract int Value { get; } }
internal struct R1 : IRows { public static int Value => 1; }
internal struct R2 : IRows { public static int Value => 2; }
internal struct R3 : IRows { public static int Value => 3; }
internal struct R4 : IRows { public static int Value => 4; }
internal struct R5 : IRows { public static int Value => 5; }
internal struct R6 : IRows { public static int Value => 6; }
internal struct R7 : IRows { public static int Value => 7; }
internal struct R8 : IRows { public static int Value => 8; }
internal struct R9 : IRows { public static int Value => 9; }
internal struct R10 : IRows { public static int Value => 10; }
internal struct R11 : IRows { public static int Value => 11; }
internal struct R12 : IRows { public static int Value => 12; }

/// <summary>
/// A register-tiled micro-kernel: C[rows, NR] (op) A_panel[rows, kc] * B_panel[kc, NR], where the A panel is packed
/// (element (i, p) at a[p * MR + i]) and row p of the B panel starts at b + p * bs.
/// </summary>
internal unsafe interface IMicroKernel
{
    /// <summary>Tile height (rows of C per kernel call).</summary>
    static abstract int MR { get; }
    /// <summary>Tile width (columns of C per kernel call); B panels are this wide.</summary>
    static abstract int NR { get; }
    /// <summary>Largest K block: a kc x NR B panel should stay in L1.</summary>
    static abstract int KC { get; }
    /// <summary>Largest M block: an MC x KC packed A block should stay in L2.</summary>
    static abstract int MC { get; }
    /// <summary>The family, for packed-matrix compatibility checks.</summary>
    static abstract GemmIsa Isa { get; }
    /// <summary>Computes one tile of <paramref name="rows"/> (1..MR) full NR-wide rows and writes it per <paramref name="st"/>.</summary>
    static abstract void Tile(int rows, int kc, float* a, float* b, nint bs, float* c, nint ldc, in GemmStore st);
}

/// <summary>
/// Per-thread scratch, 64-byte aligned, grown on demand and then reused, so that kernels allocate nothing after their
/// first call. Slot 0 is a task's own packing space; slot 1 holds a B operand packed once and shared by all tasks.
/// </summary>
internal static unsafe class GemmScratch
{
    [ThreadStatic] private static float[]? t_slot0;
    [ThreadStatic] private static float[]? t_slot1;

    /// <summary>At least <paramref name="floats"/> floats of this thread's scratch slot (contents undefined).</summary>
    public static float* Get(int slot, int floats)
    {
        ref float[]? array = ref slot == 0 ? ref t_slot0 : ref t_slot1;
        if (array is null || array.Length - 16 < floats)
            array = GC.AllocateUninitializedArray<float>(Math.Max(floats, 1 << 14) + 16, pinned: true);
        var p = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(array));
        return (float*)((p + 63) & ~(nuint)63);
    }
}

/// <summary>Small vector helpers shared by the kernels.</summary>
internal static class GemmVec
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Relu(Vector128<float> v) => Vector128.ConditionalSelect(Vector128.GreaterThan(v, Vector128<float>.Zero), v, Vector128<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Relu(Vector256<float> v) => Vector256.ConditionalSelect(Vector256.GreaterThan(v, Vector256<float>.Zero), v, Vector256<float>.Zero);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Relu(Vector512<float> v) => Vector512.ConditionalSelect(Vector512.GreaterThan(v, Vector512<float>.Zero), v, Vector512<float>.Zero);
}
