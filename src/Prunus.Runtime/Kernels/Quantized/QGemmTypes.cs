using System.Runtime.CompilerServices;
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
    /// <summary>
    /// AVX2 without VNNI: VNNI's byte quads with each weight split in two small halves so that vpmaddubsw never
    /// saturates (see <see cref="QKernelSplit{TSide}"/>), 6 x 8 tiles.
    /// </summary>
    Split256,
}

/// <summary>Facts about the families.</summary>
internal static class QIsas
{
    /// <summary>k values per 32-bit word.</summary>
    public static int Group(this QIsa isa) => isa >= QIsa.Vnni256 ? 4 : 2;

    /// <summary>Tile height.</summary>
    public static int MR(this QIsa isa) => 6;

    /// <summary>Tile width (B panels are this many words wide).</summary>
    public static int NR(this QIsa isa) => isa is QIsa.Vector128 or QIsa.Split256 ? 8 : 16;

    /// <summary>Words a packed weight takes per channel and group: 2 for the split family's halves, else 1.</summary>
    public static int WeightWords(this QIsa isa) => isa == QIsa.Split256 ? 2 : 1;

    /// <summary>Whether words hold raw bytes (activations unsigned, weights signed) rather than int16 pairs.</summary>
    public static bool Bytes(this QIsa isa) => isa >= QIsa.Vnni256;

    /// <summary>Whether the machine runs <paramref name="isa"/>.</summary>
    public static bool Runs(this QIsa isa) => isa switch
    {
        QIsa.Vector128 => true,
        QIsa.Vector256 or QIsa.Vnni256Emulated or QIsa.Split256 => Avx2.IsSupported,
        _ => AvxVnni.IsSupported,
    };

    /// <summary>
    /// The family for products whose weights fit the byte encodings (int8 with zero point 0, uint8 with 128) or not:
    /// VNNI when the machine has it, else the split AVX2 family, else the widest pairs family.
    /// </summary>
    public static QIsa Best(bool byteWeights) =>
        byteWeights && AvxVnni.IsSupported ? QIsa.Vnni256
        : byteWeights && Avx2.IsSupported ? QIsa.Split256
        : Avx2.IsSupported ? QIsa.Vector256 : QIsa.Vector128;

    /// <summary>Name for profiles.</summary>
    public static string Name(this QIsa isa) => isa switch
    {
        QIsa.Vector128 => Sse2.IsSupported ? "sse2" : "v128",
        QIsa.Vector256 => "avx2",
        QIsa.Vnni256 => "avxvnni",
        QIsa.Split256 => "avx2-split",
        _ => "vnni-emulated",
    };
}

/// <summary>
/// An integer micro-kernel: the int32 tile C[rows, NR] = A_panel[rows, groups] * B_panel[groups, NR] over words. Word
/// (i, q) of A is at a[i * ars + q * aqs] (a packed panel: ars 1, aqs MR; a word matrix read in place: ars its row
/// stride, aqs 1; split weights in A: the low halves MR words after the high ones); word q of the B panel starts at
/// b + q * bs. The int32 sums go to <c>tile</c> [MR, NR]; the driver then writes them through the output stage
/// (one call per tile, see <see cref="QStore.FinishTile"/>), which keeps the kernels small for the JIT.
/// </summary>
internal unsafe interface IQMicroKernel
{
    static abstract QIsa Isa { get; }
    static abstract int MR { get; }
    static abstract int NR { get; }
    /// <summary>Words per row and group of a packed A panel (2 when A holds split weights).</summary>
    static virtual int AWords => 1;
    /// <summary>Words per column and group of a packed B panel (2 when B holds split weights).</summary>
    static virtual int BWords => 1;
    /// <summary>The tile's sums for <typeparamref name="TR"/> rows (rows past it are never read).</summary>
    static abstract void Run<TR>(int groups, int* a, nint ars, nint aqs, int* b, nint bs, int* tile) where TR : struct, IRows;
}

/// <summary>The row-count dispatch every micro-kernel shares.</summary>
internal static unsafe class QTiles
{
    /// <summary>The tile of <paramref name="rows"/> rows (1 to MR) on <typeparamref name="TK"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile<TK>(int rows, int groups, int* a, nint ars, nint aqs, int* b, nint bs, int* tile) where TK : struct, IQMicroKernel
    {
        switch (rows)
        {
            case 6: TK.Run<R6>(groups, a, ars, aqs, b, bs, tile); break;
            case 5: TK.Run<R5>(groups, a, ars, aqs, b, bs, tile); break;
            case 4: TK.Run<R4>(groups, a, ars, aqs, b, bs, tile); break;
            case 3: TK.Run<R3>(groups, a, ars, aqs, b, bs, tile); break;
            case 2: TK.Run<R2>(groups, a, ars, aqs, b, bs, tile); break;
            default: TK.Run<R1>(groups, a, ars, aqs, b, bs, tile); break;
        }
    }
}
