namespace Prunus.Kernels;

/// <summary>
/// The shapes of a 2-D convolution or pooling window over NCHW data: input [N,C,H,W], weights [K,C/Groups,KH,KW],
/// output [N,K,OH,OW]. 1-D is H = KH = OH = 1. The output size is explicit (not derived) so that ceil-mode pooling and
/// transposed convolutions with output padding fit. Pads may be negative (a transposed convolution with a larger
/// explicit output shape crops nothing and pads the far end).
/// </summary>
public sealed record ConvGeometry
{
    public int N { get; init; } = 1;
    public int C { get; init; } = 1;
    public int H { get; init; } = 1;
    public int W { get; init; } = 1;
    /// <summary>Output channels (equal to <see cref="C"/> for pooling).</summary>
    public int K { get; init; } = 1;
    public int Groups { get; init; } = 1;
    public int KH { get; init; } = 1;
    public int KW { get; init; } = 1;
    public int StrideH { get; init; } = 1;
    public int StrideW { get; init; } = 1;
    public int DilationH { get; init; } = 1;
    public int DilationW { get; init; } = 1;
    public int PadTop { get; init; }
    public int PadLeft { get; init; }
    public int PadBottom { get; init; }
    public int PadRight { get; init; }
    public int OH { get; init; } = 1;
    public int OW { get; init; } = 1;

    /// <summary>Input channels per group.</summary>
    public int Cg => C / Groups;
    /// <summary>Output channels per group.</summary>
    public int Kg => K / Groups;
    /// <summary>Taps per channel (KH*KW).</summary>
    public int Taps => KH * KW;
    /// <summary>Input plane size H*W.</summary>
    public int InPlane => H * W;
    /// <summary>Output plane size OH*OW.</summary>
    public int OutPlane => OH * OW;
    /// <summary>Rows of the lowered matrix for all groups: C*KH*KW.</summary>
    public int ColRows => C * KH * KW;
    /// <summary>Rows of the lowered matrix for one group: (C/Groups)*KH*KW (the GEMM inner dimension).</summary>
    public int GroupColRows => Cg * KH * KW;

    /// <summary>True when the lowered matrix of one image is the image itself (1x1 kernel, stride 1, no padding).</summary>
    public bool IsPointwise => KH == 1 && KW == 1 && StrideH == 1 && StrideW == 1 && PadTop == 0 && PadLeft == 0
        && OH == H && OW == W;

    /// <summary>floor((in + padBegin + padEnd - ((k-1)*d + 1)) / s) + 1, or the ceil form; at least 0.</summary>
    public static int OutputSize(int input, int kernel, int stride, int dilation, int padBegin, int padEnd, bool ceil = false)
    {
        long span = input + (long)padBegin + padEnd - ((long)(kernel - 1) * dilation + 1);
        if (span < 0) return 0;
        long o = ceil ? (span + stride - 1) / stride + 1 : span / stride + 1;
        return (int)o;
    }

    /// <summary>Throws with a message naming the inconsistent field; kernels rely on these invariants.</summary>
    public void Validate()
    {
        if (N < 0 || C < 1 || H < 0 || W < 0 || K < 1 || OH < 0 || OW < 0)
            throw new ArgumentException($"invalid convolution sizes N={N} C={C} H={H} W={W} K={K} OH={OH} OW={OW}");
        if (Groups < 1 || C % Groups != 0 || K % Groups != 0)
            throw new ArgumentException($"group {Groups} must divide input channels {C} and output channels {K}");
        if (KH < 1 || KW < 1 || StrideH < 1 || StrideW < 1 || DilationH < 1 || DilationW < 1)
            throw new ArgumentException($"kernel {KH}x{KW}, strides {StrideH}x{StrideW} and dilations {DilationH}x{DilationW} must be positive");
    }

    /// <inheritdoc/>
    public override string ToString() =>
        $"N{N} C{C} {H}x{W} -> K{K} {OH}x{OW}, k{KH}x{KW} s{StrideH}x{StrideW} d{DilationH}x{DilationW} " +
        $"p{PadTop},{PadLeft},{PadBottom},{PadRight} g{Groups}";
}
