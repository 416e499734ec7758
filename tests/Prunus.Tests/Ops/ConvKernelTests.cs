using Prunus.Kernels;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

[Trait("Category", "Kernel")]
public class ConvKernelTests
{
    /// <summary>Odd shapes covering strides, asymmetric and negative pads, dilations, groups, depthwise, 1-D, 1x1.</summary>
    public static readonly Dictionary<string, ConvGeometry> Geometries = new()
    {
        ["plain-s2-asym"] = Make(n: 2, c: 3, h: 7, w: 9, k: 4, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 0, pb: 2, pr: 1),
        ["dil2-group3"] = Make(n: 2, c: 3, h: 7, w: 9, k: 6, groups: 3, kh: 3, kw: 2, sh: 1, sw: 2, dh: 2, dw: 2, pt: 2, pl: 1, pb: 0, pr: 1),
        ["depthwise-s2-dil2"] = Make(n: 2, c: 3, h: 7, w: 9, k: 3, groups: 3, kh: 3, kw: 3, sh: 2, sw: 2, dh: 2, dw: 2, pt: 1, pl: 2, pb: 2, pr: 0),
        ["depthwise-mult2"] = Make(n: 2, c: 3, h: 6, w: 7, k: 6, groups: 3, kh: 3, kw: 3, sh: 1, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1),
        ["depthwise-s3"] = Make(n: 1, c: 4, h: 10, w: 11, k: 4, groups: 4, kh: 2, kw: 4, sh: 3, sw: 3, pt: 0, pl: 3, pb: 1, pr: 2),
        ["depthwise-wide"] = Make(n: 1, c: 2, h: 5, w: 37, k: 4, groups: 2, kh: 3, kw: 3, pt: 1, pl: 1, pb: 1, pr: 1),
        ["depthwise-wide-s2"] = Make(n: 2, c: 2, h: 6, w: 41, k: 2, groups: 2, kh: 3, kw: 5, sh: 2, sw: 2, dw: 2, pt: 1, pl: 3, pb: 0, pr: 2),
        // Planes 7, 14, 5 and 2 wide: partial vectors stored whole (spilling into the next row or plane) or lane by lane.
        ["depthwise-7wide-s2"] = Make(n: 8, c: 5, h: 14, w: 14, k: 5, groups: 5, kh: 5, kw: 5, sh: 2, sw: 2, pt: 2, pl: 2, pb: 2, pr: 2),
        ["depthwise-14wide-mult2"] = Make(n: 2, c: 3, h: 14, w: 14, k: 6, groups: 3, kh: 3, kw: 3, pt: 1, pl: 1, pb: 1, pr: 1),
        ["depthwise-5wide"] = Make(n: 2, c: 2, h: 7, w: 7, k: 4, groups: 2, kh: 3, kw: 3),
        ["depthwise-narrow"] = Make(n: 2, c: 3, h: 5, w: 3, k: 6, groups: 3, kh: 2, kw: 2),
        // Stride 2 with an even left pad over rows long enough for the vector split into stride phases.
        ["depthwise-s2-even-pad"] = Make(n: 2, c: 2, h: 6, w: 34, k: 2, groups: 2, kh: 3, kw: 3, sh: 2, sw: 2, pt: 1, pl: 0, pb: 1, pr: 1),
        ["1d"] = Make(n: 2, c: 3, h: 1, w: 11, k: 2, kh: 1, kw: 3, sw: 2, pl: 1, pr: 2),
        ["pointwise-big"] = Make(n: 2, c: 5, h: 16, w: 17, k: 4, kh: 1, kw: 1),
        ["pointwise-small"] = Make(n: 3, c: 5, h: 5, w: 3, k: 4, kh: 1, kw: 1),
        ["lenet-like"] = Make(n: 3, c: 1, h: 12, w: 12, k: 5, kh: 5, kw: 5),
        ["negative-pads"] = Make(n: 2, c: 2, h: 6, w: 5, k: 3, kh: 3, kw: 2, sh: 2, sw: 1, pt: -1, pl: 1, pb: 0, pr: -1),
    };

    public static TheoryData<string> GeometryNames() => new(Geometries.Keys);

    private static ConvGeometry Make(int n, int c, int h, int w, int k, int kh, int kw, int groups = 1, int sh = 1, int sw = 1,
        int dh = 1, int dw = 1, int pt = 0, int pl = 0, int pb = 0, int pr = 0) => new()
    {
        N = n, C = c, H = h, W = w, K = k, Groups = groups, KH = kh, KW = kw, StrideH = sh, StrideW = sw, DilationH = dh, DilationW = dw,
        PadTop = pt, PadLeft = pl, PadBottom = pb, PadRight = pr,
        OH = ConvGeometry.OutputSize(h, kh, sh, dh, pt, pb), OW = ConvGeometry.OutputSize(w, kw, sw, dw, pl, pr),
    };

    private static (float[] X, float[] W, float[] B, float[] Dy) Operands(ConvGeometry g, int seed) => (
        TensorAssert.Random(seed, -1, 1, g.N * g.C * g.InPlane).Floats.ToArray(),
        TensorAssert.Random(seed + 1, -1, 1, g.K * g.Cg * g.Taps).Floats.ToArray(),
        TensorAssert.Random(seed + 2, -1, 1, g.K).Floats.ToArray(),
        TensorAssert.Random(seed + 3, -1, 1, g.N * g.K * g.OutPlane).Floats.ToArray());

    [Theory]
    [MemberData(nameof(GeometryNames))]
    public void Im2col_and_col2im_match_references(string name)
    {
        var g = Geometries[name];
        var x = Operands(g, 1).X;
        int nc = g.N, ld = nc * g.OutPlane;
        var cols = new float[g.ColRows * ld];
        var reference = new float[cols.Length];
        cols.AsSpan().Fill(float.NaN);
        Im2Col.Lower(g, x, 0, nc, cols, 0, g.ColRows);
        Im2ColReference.Lower(g, x, 0, nc, reference);
        Assert.Equal(reference, cols);

        var back = new float[x.Length];
        var backRef = new float[x.Length];
        Im2Col.AddBack(g, reference, 0, nc, back, 0, g.C * nc);
        Im2ColReference.AddBack(g, reference, 0, nc, backRef);
        TensorAssert.Close(backRef, back, 1e-5, 1e-6);
    }

    [Theory]
    [MemberData(nameof(GeometryNames))]
    public void Forward_matches_direct_reference(string name)
    {
        var g = Geometries[name];
        var (x, w, b, _) = Operands(g, 10);
        var expected = new float[g.N * g.K * g.OutPlane];
        ConvolutionReference.Forward(g, x, w, b, expected);
        foreach (var (training, chunk) in new (bool, int?)[] { (false, null), (true, null), (false, 1), (false, 2) })
        {
            var conv = new Convolution(g, training, chunk);
            var y = new float[expected.Length];
            y.AsSpan().Fill(float.NaN);
            conv.Forward(x, w, b, y, accumulate: false, TestPools.Two);
            TensorAssert.Close(expected, y, 1e-4, 1e-5, $"{conv.Describe()} y");

            // Accumulating without bias adds the plain convolution to what is there.
            var acc = Enumerable.Repeat(0.5f, expected.Length).ToArray();
            conv.Forward(x, w, default, acc, accumulate: true, TestPools.One);
            var noBias = new float[expected.Length];
            ConvolutionReference.Forward(g, x, w, default, noBias);
            TensorAssert.Close(noBias.Select(v => v + 0.5f).ToArray(), acc, 1e-4, 1e-5, $"{conv.Describe()} accumulate");
        }
    }

    [Theory]
    [MemberData(nameof(GeometryNames))]
    public void Backward_matches_direct_reference(string name)
    {
        var g = Geometries[name];
        var (x, w, _, dy) = Operands(g, 20);
        var dxRef = Enumerable.Repeat(0.25f, x.Length).ToArray();
        var dwRef = Enumerable.Repeat(-0.5f, w.Length).ToArray();
        var dbRef = Enumerable.Repeat(1f, g.K).ToArray();
        ConvolutionReference.BackwardData(g, w, dy, dxRef);
        ConvolutionReference.BackwardWeights(g, x, dy, dwRef, dbRef);
        foreach (var (training, chunk) in new (bool, int?)[] { (false, null), (true, null), (false, 2) })
            foreach (bool afterForward in new[] { false, true })
            {
                var conv = new Convolution(g, training, chunk);
                if (afterForward) conv.Forward(x, w, default, new float[g.N * g.K * g.OutPlane], false, TestPools.Two);
                var dx = Enumerable.Repeat(0.25f, x.Length).ToArray();
                var dw = Enumerable.Repeat(-0.5f, w.Length).ToArray();
                var db = Enumerable.Repeat(1f, g.K).ToArray();
                conv.Backward(x, w, dy, dx, dw, db, afterForward, TestPools.Two);
                string what = $"{conv.Describe()} training={training} afterForward={afterForward}";
                TensorAssert.Close(dxRef, dx, 1e-4, 1e-5, what + " dx");
                TensorAssert.Close(dwRef, dw, 1e-4, 1e-4, what + " dw");
                TensorAssert.Close(dbRef, db, 1e-4, 1e-4, what + " db");

                // Only the weight gradient (a first layer): dx untouched.
                var dw2 = Enumerable.Repeat(-0.5f, w.Length).ToArray();
                conv.Backward(x, w, dy, default, dw2, default, false, TestPools.One);
                TensorAssert.Close(dwRef, dw2, 1e-4, 1e-4, what + " dw only");
            }
    }

    /// <summary>
    /// The fused forward y = act(conv(x, w) + b + z) on every inference path: images in parallel (the default at these
    /// batches), chunks of images (forced chunk sizes), one image at a time; one and two threads.
    /// </summary>
    [Theory]
    [MemberData(nameof(GeometryNames))]
    public void Fused_forward_matches_reference_on_every_path(string name)
    {
        var g = Geometries[name];
        var (x, w, b, z) = Operands(g, 30);
        foreach (var activation in new[] { new FusedActivation(ActivationKind.Relu), new FusedActivation(ActivationKind.HardSwish) })
        {
            var expected = new float[g.N * g.K * g.OutPlane];
            ConvolutionReference.Forward(g, x, w, b, expected);
            for (int i = 0; i < expected.Length; i++) expected[i] += z[i];
            activation.ApplyReference(expected);
            foreach (int? chunk in new int?[] { null, 1, 2 })
                foreach (var pool in new[] { TestPools.One, TestPools.Two })
                {
                    var conv = new Convolution(g, false, chunk) { Activation = activation };
                    // A guard after the output: kernels that store whole vectors past a row's end must stop inside y.
                    var y = new float[expected.Length + 16];
                    y.AsSpan().Fill(float.NaN);
                    conv.Forward(x, w, b, z, y.AsMemory(0, expected.Length), pool);
                    string what = $"{conv.Describe()} threads={pool.Threads}";
                    TensorAssert.Close(expected, y.AsSpan(0, expected.Length).ToArray(), 1e-4, 1e-5, what);
                    Assert.True(y.AsSpan(expected.Length).ToArray().All(float.IsNaN), what + ": wrote past the output");
                }
        }
    }

    [Fact]
    public void Small_planes_run_image_by_image_at_inference_only()
    {
        var g = Geometries["lenet-like"];
        Assert.Equal("im2col-gemm(images in parallel)", new Convolution(g, false).Describe());
        Assert.Equal("im2col-gemm(chunk 3)", new Convolution(g, true).Describe());
        Assert.Equal("gemm-pointwise(images in parallel)", new Convolution(Geometries["pointwise-small"], false).Describe());
    }

    [Fact]
    public void Depthwise_and_pointwise_pick_their_paths()
    {
        Assert.Equal(ConvolutionAlgorithm.Depthwise, new Convolution(Geometries["depthwise-s2-dil2"], false).Algorithm);
        Assert.Equal(ConvolutionAlgorithm.Lowered, new Convolution(Geometries["negative-pads"], false).Algorithm);
        Assert.Equal("gemm-pointwise", new Convolution(Geometries["pointwise-big"], false).Describe());
        Assert.Equal(ConvolutionAlgorithm.Lowered, new Convolution(Geometries["lenet-like"], false).Algorithm);
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Channel_math_matches_reference(int n)
    {
        var x = TensorAssert.Random(n + 1, -1, 1, n).Floats.ToArray();
        var y = TensorAssert.Random(n + 2, -1, 1, n).Floats.ToArray();
        double tol = 1e-5 * Math.Max(1, n);
        Assert.Equal(ChannelMathReference.Sum(x), ChannelMath.Sum(x), tol);
        Assert.Equal(ChannelMathReference.Max(x), ChannelMath.Max(x));
        Assert.Equal(ChannelMathReference.SumSquaredDeviation(x, 0.3f), ChannelMath.SumSquaredDeviation(x, 0.3f), tol);
        Assert.Equal(ChannelMathReference.DotCentered(y, x, -0.2f), ChannelMath.DotCentered(y, x, -0.2f), tol);

        var a = new float[n]; var b = new float[n];
        ChannelMath.Affine(x, 1.5f, -0.25f, a);
        ChannelMathReference.Affine(x, 1.5f, -0.25f, b);
        TensorAssert.Close(b, a, 1e-6, 1e-6);

        a = (float[])y.Clone(); b = (float[])y.Clone();
        ChannelMath.Axpy(0.7f, x, a);
        ChannelMathReference.Axpy(0.7f, x, b);
        TensorAssert.Close(b, a, 1e-6, 1e-6);

        a = (float[])y.Clone(); b = (float[])y.Clone();
        ChannelMath.AccumulateAffine2(x, 0.7f, y, -1.3f, 0.1f, a);
        ChannelMathReference.AccumulateAffine2(x, 0.7f, y, -1.3f, 0.1f, b);
        TensorAssert.Close(b, a, 1e-5, 1e-6);

        a = (float[])y.Clone(); b = (float[])y.Clone();
        ChannelMath.MaxInPlace(a, x);
        ChannelMathReference.MaxInPlace(b, x);
        Assert.Equal(b, a);
    }
}
