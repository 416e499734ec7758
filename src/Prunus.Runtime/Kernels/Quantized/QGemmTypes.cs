using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// The integer micro-kernel families. Operands reach the kernels as 32-bit words, each holding a group of consecutive
/// k values of one row of A or one column of B: two int16 values (value minus zero point, exact for 8-bit inputs) for
/// the multiply-add-pairs families, four bytes (unsigned activations, signed weights) for the VNNI family.
/// </summary>
internal enum QIsa
{
    /// <summary>4-lane int16 pairs (SSE2 pmaddwd, or portable Vector128), 6 x 8 tiles.</summary>
    Vector128,
    /// <summary>8-lane int16 pairs (AVX2 vpmaddwd), 6 x 16 tiles.</summary>
    Vector256,
    /// <summary>8-lane byte quads (AVX-VNNI vpdpbusd: uint8 x int8 summed in fours into int32), 6 x 16 tiles.</summary>
    Vnni256,
    /// <summary>The VNNI family's layout and kernels with vpdpbusd emulated by AVX2 (tests of the VNNI code on machines without it).</summary>
    Vnni256Emulated,
}

/// <summary>Facts about the families.</summary>
internal static class QIsas
{
    /// <summary>k values per 32-bit word.</summary>
    public static int Group(this QIsa isa) => isa >= QIsa.Vnni256 ? 4 : 2;

    /// <summary>Tile height.</summary>
    public static int MR(this QIsa isa) => 6;

    /// <summary>Tile width (B panels are this many words wide).</summary>
    public static int NR(this QIsa isa) => isa == QIsa.Vector128 ? 8 : 16;

    /// <summary>Whether words hold raw bytes (activations unsigned, weights signed) rather than int16 pairs.</summary>
    public static bool Bytes(this QIsa isa) => isa >= QIsa.Vnni256;

    /// <summary>Whether the machine runs <paramref name="isa"/>.</summary>
    public static bool Runs(this QIsa isa) => isa switch
    {
        QIsa.Vector128 => true,
        QIsa.Vector256 or QIsa.Vnni256Emulated => Avx2.IsSupported,
        _ => AvxVnni.IsSupported,
    };

    /// <summary>The family for products whose weights fit it: VNNI when the machine has it, else the widest pairs family.</summary>
    public static QIsa Best(bool vnniWeights) =>
        vnniWeights && AvxVnni.IsSupported ? QIsa.Vnni256 : Avx2.IsSupported ? QIsa.Vector256 : QIsa.Vector128;

    /// <summary>Name for profiles.</summary>
    public static string Name(this QIsa isa) => isa switch
    {
        QIsa.Vector128 => Sse2.IsSupported ? "sse2" : "v128",
        QIsa.Vector256 => "avx2",
        QIsa.Vnni256 => "avxvnni",
        _ => "vnni-emulated",
    };
}

/// <summary>
/// An integer micro-kernel: the int32 tile C[rows, NR] = A_panel[rows, groups] * B_panel[groups, NR] over words. The A
/// panel is packed (word (i, q) at a[q * MR + i]); word q of the B panel starts at b + q * bs. A full tile is written
/// through the store descriptor; a partial one (full false) leaves its int32 sums in
/// <c>tile</c> [MR, NR] for the driver to finish.
/// </summary>
internal unsafe interface IQMicroKernel
{
    static abstract QIsa Isa { get; }
    static abstract int MR { get; }
    static abstract int NR { get; }
    static abstract void Tile(int rows, int groups, int* a, int* b, nint bs, int* tile, bool full, in QStore st, int row0, int col0);
}
