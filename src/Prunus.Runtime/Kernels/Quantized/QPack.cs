using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Prunus.Kernels;

/// <summary>
/// An 8-bit operand as stored: bytes read as int8 (<see cref="Signed"/>) or uint8, with a zero point per row or
/// column (one value for a per-tensor zero point).
/// </summary>
internal readonly ref struct QBytes(ReadOnlySpan<byte> data, bool signed, ReadOnlySpan<int> zero)
{
    public ReadOnlySpan<byte> Data { get; } = data;
    public bool Signed { get; } = signed;
    public ReadOnlySpan<int> Zero { get; } = zero;

    /// <summary>The stored value at <paramref name="i"/> as an integer.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public int Value(int i) => Signed ? (sbyte)Data[i] : Data[i];

    /// <summary>The zero point of channel <paramref name="c"/>.</summary>
    public int ZeroOf(int c) => Zero.Length == 1 ? Zero[0] : Zero[c];
}

/// <summary>
/// The word encodings of the integer kernels and the packing of operands into them. Pairs families: a word is two
/// int16 values (value minus zero point) of consecutive k, the lower k in the low half. VNNI family: a word is four
/// bytes of consecutive k, lowest first; activations as uint8 (int8 ones shifted by +128), weights as int8 (uint8
/// ones with zero point 128 shifted by -128), so that only weights with a zero point of 0 (int8) or 128 (uint8) fit.
/// k beyond K is padded with zeros, which add nothing.
/// </summary>
internal static unsafe class QPack
{
    /// <summary>Words per row of K values.</summary>
    public static int Groups(QIsa isa, int k) => (k + isa.Group() - 1) / isa.Group();

    /// <summary>Whether weights with these zero points fit the VNNI encoding (int8 with 0, uint8 with 128).</summary>
    public static bool FitsVnni(bool signed, ReadOnlySpan<int> zero)
    {
        foreach (int z in zero) if (z != (signed ? 0 : 128)) return false;
        return true;
    }

    /// <summary>The signed byte a VNNI weight is stored as.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static sbyte VnniWeight(byte raw, bool signed) => signed ? (sbyte)raw : (sbyte)(raw ^ 0x80);

    /// <summary>The unsigned byte a VNNI activation is stored as.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static byte VnniActivation(byte raw, bool signed) => signed ? (byte)(raw ^ 0x80) : raw;

    /// <summary>The zero point of VNNI activations, in their stored (unsigned) form.</summary>
    public static int VnniActivationZero(int zero, bool signed) => signed ? zero + 128 : zero;

    /// <summary>A word of two int16 values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static int Pair(int lo, int hi) => (ushort)(short)lo | (hi << 16);

    /// <summary>
    /// Word g of the weight sequence whose element t is raw(t) for t &lt; k: pairs of value minus zero point, or VNNI
    /// signed bytes; for the split family, <paramref name="part"/> 0 is the high halves and 1 the low ones.
    /// </summary>
    private static int WeightWord(QIsa isa, Func<int, byte> raw, bool signed, int zero, int k, int g, int part)
    {
        if (!isa.Bytes())
        {
            int t = 2 * g;
            int lo = t < k ? (signed ? (sbyte)raw(t) : raw(t)) - zero : 0;
            int hi = t + 1 < k ? (signed ? (sbyte)raw(t + 1) : raw(t + 1)) - zero : 0;
            return Pair(lo, hi);
        }
        int w = 0;
        for (int s = 0; s < 4; s++)
        {
            int t = 4 * g + s;
            sbyte v = t < k ? VnniWeight(raw(t), signed) : (sbyte)0;
            if (isa == QIsa.Split256) v = part == 0 ? QKernelSplit<UnsignedA>.Split(v).High : QKernelSplit<UnsignedA>.Split(v).Low;
            w |= (byte)v << (8 * s);
        }
        return w;
    }

    /// <summary>
    /// Weights as the B operand of a dense layer, op(W)[K, N] (stored [K, N] with row stride <paramref name="ldw"/>, or
    /// [N, K] when <paramref name="transposed"/>), zero point per column: NR-word panels.
    /// </summary>
    public static QPackedMatrix WeightsAsB(QIsa isa, int k, int n, QBytes w, int ldw, bool transposed)
    {
        int groups = Groups(isa, k), nr = isa.NR(), parts = isa.WeightWords();
        int panels = (n + nr - 1) / nr;
        var packed = new QPackedMatrix(isa, k, n, groups, (long)panels * groups * nr * parts);
        int* dst = packed.Data;
        var data = w.Data.ToArray();
        bool signed = w.Signed;
        for (int j = 0; j < panels * nr; j++)
        {
            int p = j / nr, c = j % nr;
            for (int g = 0; g < groups; g++)
                for (int part = 0; part < parts; part++)
                {
                    int word = 0;
                    if (j < n)
                    {
                        int col = j;
                        word = WeightWord(isa, t => data[transposed ? col * ldw + t : t * ldw + col], signed, w.ZeroOf(col), k, g, part);
                    }
                    dst[(((long)p * groups + g) * parts + part) * nr + c] = word;
                }
        }
        packed.SetSums(SignedSums(k, n, w, ldw, transposed));
        return packed;
    }

    /// <summary>Weights as the A operand of a convolution, W[M, K] row-major (row stride <paramref name="ldw"/>), zero point per row: MR-word panels.</summary>
    public static QPackedMatrix WeightsAsA(QIsa isa, int m, int k, QBytes w, int ldw)
    {
        int groups = Groups(isa, k), mr = isa.MR(), parts = isa.WeightWords();
        int panels = (m + mr - 1) / mr;
        var packed = new QPackedMatrix(isa, k, m, groups, (long)panels * groups * mr * parts);
        int* dst = packed.Data;
        var data = w.Data.ToArray();
        for (int i = 0; i < panels * mr; i++)
        {
            int p = i / mr, r = i % mr;
            for (int g = 0; g < groups; g++)
                for (int part = 0; part < parts; part++)
                {
                    int word = 0;
                    if (i < m)
                    {
                        int row = i;
                        word = WeightWord(isa, t => data[row * ldw + t], w.Signed, w.ZeroOf(row), k, g, part);
                    }
                    dst[(((long)p * groups + g) * parts + part) * mr + r] = word;
                }
        }
        packed.SetSums(SignedSums(k, m, w, ldw, transposed: true));
        return packed;
    }

    /// <summary>Per channel, the sum over k of the weights in their VNNI (signed) form; for the activation zero point's correction.</summary>
    private static int[] SignedSums(int k, int channels, QBytes w, int ldw, bool transposed)
    {
        var sums = new int[channels];
        for (int c = 0; c < channels; c++)
            for (int t = 0; t < k; t++) sums[c] += VnniWeight(w.Data[transposed ? c * ldw + t : t * ldw + c], w.Signed);
        return sums;
    }

    /// <summary>
    /// Activation rows x[r, 0..k) (row stride <paramref name="ldx"/> bytes) as word rows dst[r, 0..groups) (row stride
    /// <paramref name="ldd"/> words), for the A operand of a dense layer.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ActivationRows(QIsa isa, byte* x, nint ldx, int rows, int k, bool signed, int zero, int* dst, nint ldd)
    {
        for (int r = 0; r < rows; r++)
            if (isa.Bytes()) ActivationQuads(x + r * ldx, k, signed, (byte*)(dst + r * ldd));
            else ActivationPairs(x + r * ldx, k, signed, zero, (short*)(dst + r * ldd));
    }

    /// <summary>One row of int16 values (value minus zero point), padded with a zero to an even count.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ActivationPairs(byte* x, int k, bool signed, int zero, short* d)
    {
        int t = 0;
        if (Avx2.IsSupported)
        {
            var z = Vector256.Create((short)zero);
            for (; t + 16 <= k; t += 16)
            {
                var v = signed ? Avx2.ConvertToVector256Int16((sbyte*)x + t) : Avx2.ConvertToVector256Int16(x + t);
                Avx.Store(d + t, Avx2.Subtract(v, z));
            }
        }
        for (; t < k; t++) d[t] = (short)((signed ? (sbyte)x[t] : x[t]) - zero);
        if ((k & 1) != 0) d[k] = 0;
    }

    /// <summary>One row of VNNI activation bytes, padded with zeros to a multiple of four.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ActivationQuads(byte* x, int k, bool signed, byte* d)
    {
        int t = 0;
        byte flip = signed ? (byte)0x80 : (byte)0;
        if (Vector256.IsHardwareAccelerated)
        {
            var f = Vector256.Create(flip);
            for (; t + 32 <= k; t += 32) (Vector256.Load(x + t) ^ f).Store(d + t);
        }
        for (; t < k; t++) d[t] = (byte)(x[t] ^ flip);
        for (; (t & 3) != 0; t++) d[t] = 0;
    }

    /// <summary>
    /// Interleaves rows of int16 values into a row of pair words: dst[j] = (r0[j], r1[j]) for j &lt; n, the B operand's
    /// layout (k pairs down, columns across). Whole vectors, then one last vector ending at n (rewriting what it overlaps).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InterleavePairs(short* r0, short* r1, int n, int* dst)
    {
        if (Avx2.IsSupported && n >= 16)
        {
            for (int j = 0; ; j += 16)
            {
                if (j > n - 16) j = n - 16;
                var a = Avx.LoadVector256(r0 + j);
                var b = Avx.LoadVector256(r1 + j);
                // unpack works within 128-bit lanes: lo holds pairs 0-3 and 8-11, hi 4-7 and 12-15.
                var lo = Avx2.UnpackLow(a, b);
                var hi = Avx2.UnpackHigh(a, b);
                Avx.Store((short*)(dst + j), Avx2.Permute2x128(lo, hi, 0x20));
                Avx.Store((short*)(dst + j + 8), Avx2.Permute2x128(lo, hi, 0x31));
                if (j == n - 16) return;
            }
        }
        if (Sse2.IsSupported && n >= 8)
        {
            for (int j = 0; ; j += 8)
            {
                if (j > n - 8) j = n - 8;
                var a = Sse2.LoadVector128(r0 + j);
                var b = Sse2.LoadVector128(r1 + j);
                Sse2.Store((short*)(dst + j), Sse2.UnpackLow(a, b));
                Sse2.Store((short*)(dst + j + 4), Sse2.UnpackHigh(a, b));
                if (j == n - 8) return;
            }
        }
        for (int j = 0; j < n; j++) dst[j] = Pair(r0[j], r1[j]);
    }

    /// <summary>Interleaves four rows of bytes into a row of quad words: dst[j] = (r0[j], r1[j], r2[j], r3[j]).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void InterleaveQuads(byte* r0, byte* r1, byte* r2, byte* r3, int n, int* dst)
    {
        if (Sse2.IsSupported && n >= 16)
        {
            for (int j = 0; ; j += 16)
            {
                if (j > n - 16) j = n - 16;
                var a = Sse2.LoadVector128(r0 + j);
                var b = Sse2.LoadVector128(r1 + j);
                var c = Sse2.LoadVector128(r2 + j);
                var d = Sse2.LoadVector128(r3 + j);
                var ab0 = Sse2.UnpackLow(a, b).AsInt16();
                var ab1 = Sse2.UnpackHigh(a, b).AsInt16();
                var cd0 = Sse2.UnpackLow(c, d).AsInt16();
                var cd1 = Sse2.UnpackHigh(c, d).AsInt16();
                Sse2.Store((short*)(dst + j), Sse2.UnpackLow(ab0, cd0));
                Sse2.Store((short*)(dst + j + 4), Sse2.UnpackHigh(ab0, cd0));
                Sse2.Store((short*)(dst + j + 8), Sse2.UnpackLow(ab1, cd1));
                Sse2.Store((short*)(dst + j + 12), Sse2.UnpackHigh(ab1, cd1));
                if (j == n - 16) return;
            }
        }
        if (Sse2.IsSupported && n >= 8)
        {
            for (int j = 0; ; j += 8)
            {
                if (j > n - 8) j = n - 8;
                var ab = Sse2.UnpackLow(Vector128.CreateScalar(*(ulong*)(r0 + j)).AsByte(), Vector128.CreateScalar(*(ulong*)(r1 + j)).AsByte()).AsInt16();
                var cd = Sse2.UnpackLow(Vector128.CreateScalar(*(ulong*)(r2 + j)).AsByte(), Vector128.CreateScalar(*(ulong*)(r3 + j)).AsByte()).AsInt16();
                Sse2.Store((short*)(dst + j), Sse2.UnpackLow(ab, cd));
                Sse2.Store((short*)(dst + j + 4), Sse2.UnpackHigh(ab, cd));
                if (j == n - 8) return;
            }
        }
        for (int j = 0; j < n; j++) dst[j] = r0[j] | r1[j] << 8 | r2[j] << 16 | r3[j] << 24;
    }

    /// <summary>
    /// Activation columns x[0..k, 0..n) (a row-major [K, N] byte matrix, row stride <paramref name="ldx"/>) as the word
    /// matrix dst[groups, n] (row stride <paramref name="ldd"/> words), the B operand of a convolution. Scratch holds
    /// rows in the word's element type; <paramref name="scratch"/> needs 4 n ints.
    /// </summary>
    public static void ActivationColumns(QIsa isa, byte* x, nint ldx, int k, int n, bool signed, int zero, int* dst, nint ldd, int* scratch)
    {
        int groups = Groups(isa, k);
        if (!isa.Bytes())
        {
            short* r0 = (short*)scratch, r1 = r0 + n + 16;
            for (int g = 0; g < groups; g++)
            {
                for (int s = 0; s < 2; s++)
                {
                    short* r = s == 0 ? r0 : r1;
                    int t = 2 * g + s;
                    if (t < k) for (int j = 0; j < n; j++) r[j] = (short)((signed ? (sbyte)x[t * ldx + j] : x[t * ldx + j]) - zero);
                    else new Span<short>(r, n).Clear();
                }
                InterleavePairs(r0, r1, n, dst + g * ldd);
            }
            return;
        }
        byte* rows = (byte*)scratch;
        for (int g = 0; g < groups; g++)
        {
            for (int s = 0; s < 4; s++)
            {
                byte* r = rows + s * (n + 16);
                int t = 4 * g + s;
                if (t < k) for (int j = 0; j < n; j++) r[j] = VnniActivation(x[t * ldx + j], signed);
                else new Span<byte>(r, n).Clear();
            }
            InterleaveQuads(rows, rows + (n + 16), rows + 2 * (n + 16), rows + 3 * (n + 16), n, dst + g * ldd);
        }
    }
}

/// <summary>
/// A constant integer operand packed once for many products: weights in the word encoding of one kernel family, cut
/// into panels (MR rows of A, or NR columns of B), each holding all its words contiguously, the last zero-padded.
/// Also keeps the per-channel sums of the VNNI-encoded weights. Pinned and 64-byte aligned.
/// </summary>
internal sealed unsafe class QPackedMatrix
{
    private readonly int[] _storage;
    private readonly int _offset;
    private int[] _sums = [];

    /// <summary>The family whose encoding and panel width this uses.</summary>
    public QIsa Isa { get; }
    /// <summary>The reduction length K (k values, not words).</summary>
    public int K { get; }
    /// <summary>Channels: columns of B, or rows of A.</summary>
    public int Channels { get; }
    /// <summary>Words per channel.</summary>
    public int Groups { get; }
    /// <summary>Per channel, the sum of the weights in VNNI form (for the activation zero point's correction).</summary>
    public ReadOnlySpan<int> SignedSums => _sums;

    public QPackedMatrix(QIsa isa, int k, int channels, int groups, long words)
    {
        if (words > int.MaxValue - 32) throw new ArgumentException($"a packed {k}x{channels} integer matrix is too large");
        Isa = isa;
        K = k;
        Channels = channels;
        Groups = groups;
        _storage = GC.AllocateArray<int>((int)words + 32, pinned: true);
        var start = (nuint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_storage));
        _offset = (int)(((64 - (start & 63)) & 63) / sizeof(int));
    }

    internal void SetSums(int[] sums) => _sums = sums;

    /// <summary>Start of the packed words (pinned for the object's life).</summary>
    public int* Data => (int*)Unsafe.AsPointer(ref _storage[_offset]);
}
