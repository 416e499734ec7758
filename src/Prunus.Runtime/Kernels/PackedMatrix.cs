using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Prunus.Kernels;

/// <summary>
/// The B operand of a GEMM packed once (by <see cref="Gemm.PackB"/>) for many multiplies, as inference plans do with
/// constant weights. Layout: op(B)[K,N] cut into panels of <c>NR</c> columns (the micro-kernel width); each panel holds
/// K rows of NR floats, contiguous, the last panel zero-padded. It is tied to the kernel it was packed for.
/// </summary>
public sealed unsafe class PackedMatrix
{
    private readonly float[] _storage;
    private readonly int _offset;

    /// <summary>Rows of op(B) (the inner dimension of the product).</summary>
    public int K { get; }
    /// <summary>Columns of op(B) (the output width).</summary>
    public int N { get; }
    /// <summary>Panel width in columns.</summary>
    internal int NR { get; }
    /// <summary>The kernel family the layout was made for.</summary>
    internal GemmIsa Isa { get; }
    /// <summary>Number of column panels.</summary>
    internal int Panels => (N + NR - 1) / NR;

    internal PackedMatrix(GemmIsa isa, int k, int n, int nr)
    {
        Isa = isa;
        K = k;
        N = n;
        NR = nr;
        long floats = (long)k * ((n + nr - 1) / nr) * nr;
        if (floats > int.MaxValue - 16) throw new ArgumentException($"a packed {k}x{n} matrix is too large");
        // Pinned so that kernels can hold a raw pointer to it; 16 spare floats to align the start to 64 bytes.
        _storage = GC.AllocateUninitializedArray<float>((int)floats + 16, pinned: true);
        var start = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_storage));
        _offset = (int)(((64 - (start & 63)) & 63) / sizeof(float));
    }

    /// <summary>Start of the packed data (the storage is pinned for the object's life).</summary>
    internal float* Data => (float*)Unsafe.AsPointer(ref _storage[_offset]);
}
