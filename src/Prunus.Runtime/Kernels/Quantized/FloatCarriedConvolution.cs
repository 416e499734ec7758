using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// A sparse integer convolution whose exact int32 sums are carried in float32 by the float sparse kernels
/// (<see cref="SparseConvolution"/>): the image as x - z_x and the weights as w - z_w are small integers held exactly
/// in floats, so every product and every partial sum is an integer, and float32 holds them exactly while the largest
/// possible |sum| (255 times a row's Σ |w - z_w|) stays below 2^24. The result is the integer kernels' bit for bit;
/// the output stage then requantizes it as usual.
/// </summary>
/// <remarks>
/// Why: on AVX2 machines without VNNI, a sparse integer kernel pays two vpmaddubsw per pair of nonzeros over 32
/// outputs (weights split in halves to stay exact, see <see cref="QKernelSplit{TSide}"/>) plus unpacking and
/// widening, about 5.6 multiply-adds per instruction against 8 for a float FMA over a shifted row: the float sparse
/// kernels were faster (LeNet-5's second layer at density 0.39, batch 64: 0.99 ms float against 1.32 ms integer).
/// The conversions in and out cost one pass over the layer's input and output. With VNNI (four products per lane
/// and instruction) the integer kernels win and this path is not chosen.
/// </remarks>
internal sealed unsafe class FloatCarriedConvolution
{
    /// <summary>
    /// Above this density the dense integer convolution is faster when each output sums at least
    /// <see cref="ShortReduction"/> taps (LeNet-5's second layer, batch 64: integer im2col 1.64 ms against float
    /// sparse 0.99 ms at density 0.39, so they cross near 0.65). Shorter sums (its first layer: 25 taps, one channel)
    /// leave the integer GEMM's tiles mostly idle, and the float shift kernel won even at density 0.9 (0.40 against
    /// 0.74 ms).
    /// </summary>
    internal static double IntegerDenseCrossover = 0.6;
    internal const int ShortReduction = 64;

    /// <summary>Largest |sum| float32 carries exactly.</summary>
    private const double ExactLimit = 1 << 24;

    private readonly ConvGeometry _g;
    private readonly SparseConvolution _conv;
    private readonly QuantizedOutput _output;
    private readonly bool _inputSigned;
    private int _inputZero;
    private readonly float[] _x, _y;
    private readonly ParallelBody _toFloats;
    private byte* _src, _dst;

    private FloatCarriedConvolution(ConvGeometry g, SparseConvolution conv, bool inputSigned, int inputZero, QuantizedOutput output)
    {
        _g = g;
        // Each image's sums go through the output stage as soon as they are written, while they are in cache.
        _conv = new SparseConvolution(g, conv.Matrix, conv.Layout) { ImageDone = FinishImage };
        _output = output;
        _inputSigned = inputSigned;
        _inputZero = inputZero;
        _x = GC.AllocateArray<float>(Math.Max(1, g.N * g.C * g.InPlane), pinned: true);
        _y = GC.AllocateArray<float>(Math.Max(1, g.N * g.K * g.OutPlane), pinned: true);
        _toFloats = new ParallelBody(ImageToFloats);
    }

    /// <summary>
    /// The float-carried convolution for these weights when it is exact and expected faster than the integer kernels
    /// (a machine without VNNI, weights sparse enough that the float selection runs them sparse), else null.
    /// <paramref name="force"/> skips the speed tests (not the exactness one), for tests.
    /// </summary>
    public static FloatCarriedConvolution? Choose(ConvGeometry g, ReadOnlySpan<byte> w, bool weightsSigned, ReadOnlySpan<int> weightZero,
        bool inputSigned, int inputZero, QuantizedOutput output, bool force = false)
    {
        if (!force && (AvxVnni.IsSupported || !SparseSelection.Enabled)) return null;
        if (!SparseConvolution.Supports(g) || g.K == 0) return null;
        int gcr = g.GroupColRows;
        var weights = new float[(long)g.K * gcr];
        for (int k = 0; k < g.K; k++)
        {
            int z = weightZero.Length == 1 ? weightZero[0] : weightZero[k];
            double magnitude = 0;
            for (int i = k * gcr; i < (k + 1) * gcr; i++)
            {
                int v = (weightsSigned ? (sbyte)w[i] : w[i]) - z;
                weights[i] = v;
                magnitude += Math.Abs(v);
            }
            if (255 * magnitude >= ExactLimit) return null;
        }
        SparseConvolution? conv;
        if (force) conv = new SparseConvolution(g, weights, SparseLayout.Csr);
        else
        {
            conv = SparseSelection.ForConvolution(g, weights);
            if (conv is null || gcr >= ShortReduction && conv.Matrix.Density > IntegerDenseCrossover) return null;
        }
        return new FloatCarriedConvolution(g, conv, inputSigned, inputZero, output);
    }

    /// <summary>A short name for profiles.</summary>
    public string Describe() => $"float-carried {_conv.Describe()}, {_output.Describe()}";

    /// <summary>Sets the activation zero point of the following runs.</summary>
    public void SetInputZero(int zero) => _inputZero = zero;

    /// <summary>y = stage(conv(x, w)): x [N,C,H,W] bytes, y [N,K,OH,OW] in the output stage's type, as bytes.</summary>
    public void Forward(ReadOnlySpan<byte> x, Span<byte> y, WorkerPool? pool)
    {
        var g = _g;
        if (g.N == 0 || g.OutPlane == 0) return;
        fixed (byte* px = x, py = y)
        {
            _src = px;
            _dst = py;
            _toFloats.For(pool, g.N, (long)g.N * g.C * g.InPlane);
            _conv.Forward(_x, [], [], _y, pool);
            _src = _dst = null;
        }
        GC.KeepAlive(_output);
    }

    /// <summary>Image n of x as floats x - z_x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ImageToFloats(int n)
    {
        long count = (long)_g.C * _g.InPlane;
        byte* src = _src + n * count;
        fixed (float* xf = _x)
        {
            float* dst = xf + n * count;
            long i = 0;
            if (Avx2.IsSupported)
            {
                var z = Vector256.Create((float)_inputZero);
                if (_inputSigned)
                    for (; i + 8 <= count; i += 8) Avx.Store(dst + i, Avx.Subtract(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32((sbyte*)src + i)), z));
                else
                    for (; i + 8 <= count; i += 8) Avx.Store(dst + i, Avx.Subtract(Avx.ConvertToVector256Single(Avx2.ConvertToVector256Int32(src + i)), z));
            }
            for (; i < count; i++) dst[i] = (_inputSigned ? (sbyte)src[i] : src[i]) - _inputZero;
        }
    }

    /// <summary>Image n's float sums (exact integers) through the output stage.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FinishImage(int n)
    {
        var g = _g;
        int p = g.OutPlane;
        int* acc = (int*)GemmScratch.Get(1, p + 16);
        var st = _output.Store(_dst + (nint)n * g.K * p * _output.ElementSize, p, channelsAreRows: true);
        fixed (float* yf = _y)
            for (int k = 0; k < g.K; k++)
            {
                float* row = yf + ((long)n * g.K + k) * p;
                int i = 0;
                if (Avx.IsSupported)
                    for (; i + 8 <= p; i += 8) Avx.Store(acc + i, Avx.ConvertToVector256Int32WithTruncation(Avx.LoadVector256(row + i)));
                for (; i < p; i++) acc[i] = (int)row[i];
                st.FinishRow(acc, k, 0, p);
            }
    }
}
