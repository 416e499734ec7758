using System.Runtime.CompilerServices;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// A sparse integer convolution whose exact int32 sums are carried in float32 by the float sparse convolution
/// (<see cref="SparseConvolution"/>; why and when it is exact: <see cref="FloatCarry"/>). Each image's sums go
/// through the output stage as soon as the image is done, while they are in cache.
/// </summary>
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

    /// <summary>
    /// From this batch on, a sparse weight runs float-carried even where the direct integer kernel applies. Measured
    /// with `switch-ab lenet5-90-int8.onnx qdirect` (LeNet-5's first layer at density 0.9: 25 taps, one channel, 20
    /// outputs of 24x24; two threads, each whole images at batch 16 and above): the direct kernel was faster by 7.6%,
    /// 18% and 4.5% at batch 1, 2 and 4, the float-carried one by 2% and 6% at batch 16 and 64 (its sums passed
    /// straight to the output stage; through int32 it was 6% slower at batch 64 and lost there too).
    /// </summary>
    internal const int OverDirectBatch = 16;

    /// <summary>Density of the weights as the float sparse kernel runs them.</summary>
    internal double Density => _conv.Matrix.Density;

    /// <summary>Whether new convolutions may pass float sums straight to the output stage (false: through int32, for comparisons and tests).</summary>
    internal static bool DirectStage = true;

    private readonly ConvGeometry _g;
    private readonly SparseConvolution _conv;
    private readonly QuantizedOutput _output;
    private readonly bool _inputSigned;
    private int _inputZero;
    private readonly float[] _x, _y;
    private readonly ParallelBody _toFloats;
    private readonly bool _directStage;
    private byte* _src, _dst;

    private FloatCarriedConvolution(ConvGeometry g, SparseConvolution conv, bool inputSigned, int inputZero, QuantizedOutput output,
        bool directStage)
    {
        _directStage = directStage;
        _g = g;
        _conv = conv;
        _conv.ImageDone = FinishImage;
        _output = output;
        _inputSigned = inputSigned;
        _inputZero = inputZero;
        _x = GC.AllocateArray<float>(Math.Max(1, g.N * g.C * g.InPlane), pinned: true);
        _y = GC.AllocateArray<float>(Math.Max(1, g.N * g.K * g.OutPlane), pinned: true);
        _toFloats = new ParallelBody(ImageToFloats);
    }

    /// <summary>
    /// The float-carried convolution for these weights when it is exact and expected faster than the integer kernels
    /// (<see cref="FloatCarry.Preferred"/>, weights sparse enough that the float selection runs them sparse), else
    /// null. <paramref name="force"/> skips the speed tests (not the exactness one), for tests.
    /// </summary>
    public static FloatCarriedConvolution? Choose(ConvGeometry g, ReadOnlySpan<byte> w, bool weightsSigned, ReadOnlySpan<int> weightZero,
        bool inputSigned, int inputZero, QuantizedOutput output, bool force = false)
    {
        if (!force && !FloatCarry.Preferred || !SparseConvolution.Supports(g) || g.K == 0) return null;
        if (FloatCarry.ExactWeights(w, weightsSigned, weightZero, g.K, g.GroupColRows, outputsAreRows: true) is not { } weights) return null;
        var conv = force ? new SparseConvolution(g, weights, SparseLayout.Csr) : SparseSelection.ForConvolution(g, weights);
        if (conv is null || !force && g.GroupColRows >= ShortReduction && conv.Matrix.Density > IntegerDenseCrossover) return null;
        // The float sums go straight through the output stage when that is exact and the vector stage applies.
        bool direct = DirectStage && QVector256.Supported && output.Kind is QuantizedOutputKind.UInt8 or QuantizedOutputKind.Int8
            && FloatCarry.BiasFitsExactly(weights, g.K, g.GroupColRows, output.Bias);
        return new FloatCarriedConvolution(g, conv, inputSigned, inputZero, output, direct);
    }

    /// <summary>Whether each image's planes are max-pooled 2x2/stride 2 in float before the output stage.</summary>
    private bool _pooled;

    /// <summary>
    /// Pools every output plane 2x2/stride 2 (max) in float before the output stage (see
    /// <see cref="QuantizedConvolution.PoolMax2x2"/>); false, changing nothing, when some channel's multiplier is not
    /// positive (the stage would not be non-decreasing) or a plane has an odd side.
    /// </summary>
    internal bool PoolMax2x2()
    {
        if (_g.OH % 2 != 0 || _g.OW % 2 != 0) return false;
        foreach (var m in _output.Multiplier) if (!(m > 0)) return false;
        _pooled = true;
        return true;
    }

    /// <summary>A short name for profiles.</summary>
    public string Describe() => $"float-carried {_conv.Describe()}, {_output.Describe()}";

    /// <summary>Sets the activation zero point of the following runs.</summary>
    public void SetInputZero(int zero) => _inputZero = zero;

    /// <summary>
    /// y = stage(conv(x, w)): x [N,C,H,W] bytes, y [N,K,OH,OW] in the output stage's type, as bytes ([N,K,OH/2,OW/2]
    /// after <see cref="PoolMax2x2"/>).
    /// </summary>
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

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void ImageToFloats(int n)
    {
        long count = (long)_g.C * _g.InPlane;
        fixed (float* xf = _x) FloatCarry.ToFloats(_src + n * count, _inputSigned, _inputZero, xf + n * count, count);
    }

    /// <summary>Image n's float sums through the output stage.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private void FinishImage(int n)
    {
        var g = _g;
        int p = g.OutPlane, q = _pooled ? p / 4 : p;
        // This thread's scratch: the int32 sums FinishRow needs (at least 16, or a row), then the pooled planes.
        int accInts = Math.Max(q, 16) + 16;
        int* acc = (int*)GemmScratch.Get(1, accInts + (_pooled ? g.K * q : 0));
        var st = _output.Store(_dst + (nint)n * g.K * q * _output.ElementSize, q, channelsAreRows: true);
        fixed (float* yf = _y)
        {
            float* sums = yf + (long)n * g.K * p;
            if (_pooled)
            {
                float* pooled = (float*)acc + accInts;
                for (int k = 0; k < g.K; k++) FloatCarry.MaxPool2x2(sums + (long)k * p, g.OH, g.OW, pooled + (long)k * q);
                sums = pooled;
            }
            if (_directStage) FloatCarry.FinishImageDirect(sums, g.K, q, acc, st);
            else
                for (int k = 0; k < g.K; k++) FloatCarry.FinishRow(sums + (long)k * q, q, acc, st, k);
        }
    }
}
