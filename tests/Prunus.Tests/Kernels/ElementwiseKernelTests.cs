using Prunus.Kernels;
using Prunus.Tests.Support;

namespace Prunus.Tests.Kernels;

/// <summary>Every elementwise op struct: the SIMD loop against the scalar reference at the standard lengths.</summary>
[Trait("Category", "Kernel")]
public class ElementwiseKernelTests
{
    private delegate void UnaryKernel(ReadOnlySpan<float> x, Span<float> y);
    private delegate void GradKernel(ReadOnlySpan<float> v, ReadOnlySpan<float> g, Span<float> dx);

    private sealed record UnaryCase(UnaryKernel Fast, UnaryKernel Reference, float Lo, float Hi);
    private sealed record GradCase(GradKernel Fast, GradKernel Reference, float Lo, float Hi);

    private static UnaryCase U<TOp>(float lo, float hi) where TOp : struct, IUnaryOp =>
        new(VectorLoops.Unary<TOp>, VectorLoops.UnaryReference<TOp>, lo, hi);

    private static UnaryCase UF<TF>(TF f, float lo, float hi) where TF : struct, IUnaryFunc =>
        new((x, y) => VectorLoops.Unary(f, x, y), (x, y) => VectorLoops.UnaryReference(f, x, y), lo, hi);

    private static GradCase G<TOp>(float lo, float hi) where TOp : struct, IBinaryOp =>
        new(VectorLoops.BinaryAccumulate<TOp>, VectorLoops.BinaryAccumulateReference<TOp>, lo, hi);

    private static GradCase GF<TF>(TF f, float lo, float hi) where TF : struct, IBinaryFunc =>
        new((v, g, d) => VectorLoops.BinaryAccumulate(f, v, g, d), (v, g, d) => VectorLoops.BinaryAccumulateReference(f, v, g, d), lo, hi);

    private static readonly Dictionary<string, UnaryCase> Forward = new()
    {
        ["Sqrt"] = U<Elementwise.SqrtOp>(0, 100),
        ["Exp"] = U<Elementwise.ExpOp>(-80, 80),
        ["Log"] = U<Elementwise.LogOp>(1e-6f, 1e6f),
        ["Neg"] = U<Elementwise.NegOp>(-5, 5),
        ["Abs"] = U<Elementwise.AbsOp>(-5, 5),
        ["Reciprocal"] = U<Elementwise.ReciprocalOp>(0.01f, 100),
        ["Floor"] = U<Elementwise.FloorOp>(-50, 50),
        ["Ceil"] = U<Elementwise.CeilOp>(-50, 50),
        ["Square"] = U<Elementwise.SquareOp>(-50, 50),
        ["Erf"] = U<Elementwise.ErfOp>(-5, 5),
        ["Sigmoid"] = U<Elementwise.SigmoidOp>(-30, 30),
        ["Gelu"] = U<Elementwise.GeluOp>(-12, 12),
        ["GeluTanh"] = U<Elementwise.GeluTanhOp>(-12, 12),
        ["Softplus"] = U<Elementwise.SoftplusOp>(-40, 40),
        ["Mish"] = U<Elementwise.MishOp>(-40, 40),
        ["HardSwish"] = U<Elementwise.HardSwishOp>(-6, 6),
        ["LeakyRelu"] = UF(new Elementwise.LeakyReluFunc(0.1f), -5, 5),
        ["Elu"] = UF(new Elementwise.EluFunc(1.5f), -6, 3),
        ["Selu"] = UF(new Elementwise.SeluFunc(1.67326f, 1.0507f), -6, 3),
        ["HardSigmoid"] = UF(new Elementwise.HardSigmoidFunc(0.2f, 0.5f), -5, 5),
        ["Clip"] = UF(new Elementwise.ClipFunc(-1, 2), -4, 4),
        // Tanh runs on TensorPrimitives; its reference is MathF.Tanh.
        ["Tanh"] = new((x, y) => System.Numerics.Tensors.TensorPrimitives.Tanh(x, y),
            (x, y) => { for (int i = 0; i < x.Length; i++) y[i] = MathF.Tanh(x[i]); }, -10, 10),
    };

    private static readonly Dictionary<string, GradCase> Backward = new()
    {
        ["SqrtGrad"] = G<Elementwise.SqrtGradOp>(0.1f, 10),
        ["ExpGrad"] = G<Elementwise.ExpGradOp>(0, 10),
        ["LogGrad"] = G<Elementwise.LogGradOp>(0.1f, 10),
        ["AbsGrad"] = G<Elementwise.AbsGradOp>(-3, 3),
        ["ReciprocalGrad"] = G<Elementwise.ReciprocalGradOp>(-3, 3),
        ["ErfGrad"] = G<Elementwise.ErfGradOp>(-4, 4),
        ["SigmoidGrad"] = G<Elementwise.SigmoidGradOp>(0, 1),
        ["TanhGrad"] = G<Elementwise.TanhGradOp>(-1, 1),
        ["GeluGrad"] = G<Elementwise.GeluGradOp>(-10, 10),
        ["GeluTanhGrad"] = G<Elementwise.GeluTanhGradOp>(-10, 10),
        ["SoftplusGrad"] = G<Elementwise.SoftplusGradOp>(-30, 30),
        ["MishGrad"] = G<Elementwise.MishGradOp>(-30, 30),
        ["HardSwishGrad"] = G<Elementwise.HardSwishGradOp>(-5, 5),
        ["LeakyReluGrad"] = GF(new Elementwise.LeakyReluGradFunc(0.1f), -3, 3),
        ["EluGrad"] = GF(new Elementwise.EluGradFunc(1.5f), -5, 3),
        ["SeluGrad"] = GF(new Elementwise.SeluGradFunc(1.67326f, 1.0507f), -5, 3),
        ["HardSigmoidGrad"] = GF(new Elementwise.HardSigmoidGradFunc(0.2f, 0.5f), -4, 4),
        ["ClipGrad"] = GF(new Elementwise.ClipGradFunc(-1, 2), -4, 4),
    };

    public static TheoryData<string, int> ForwardCases() => Cross(Forward.Keys);
    public static TheoryData<string, int> BackwardCases() => Cross(Backward.Keys);

    private static TheoryData<string, int> Cross(IEnumerable<string> names)
    {
        var d = new TheoryData<string, int>();
        foreach (var n in names)
            foreach (var s in TensorAssert.Sizes) d.Add(n, s);
        return d;
    }

    // The runtime's vector Log may differ from MathF.Log by an ulp (Softplus, Log), which formulas can amplify a little.
    private const double Rtol = 4e-6, Atol = 1e-7;

    [Theory]
    [MemberData(nameof(ForwardCases))]
    public void Forward_fast_matches_reference(string op, int n)
    {
        var c = Forward[op];
        var x = TensorAssert.Random(n + 31, c.Lo, c.Hi, n).Floats.ToArray();
        var fast = new float[n];
        var reference = new float[n];
        c.Fast(x, fast);
        c.Reference(x, reference);
        TensorAssert.Close(reference, fast, Rtol, Atol, op);
    }

    [Theory]
    [MemberData(nameof(BackwardCases))]
    public void Gradient_fast_matches_reference_and_accumulates(string op, int n)
    {
        var c = Backward[op];
        var v = TensorAssert.Random(n + 7, c.Lo, c.Hi, n).Floats.ToArray();
        var g = TensorAssert.Random(n + 8, -1, 1, n).Floats.ToArray();
        var prior = TensorAssert.Random(n + 9, -1, 1, n).Floats.ToArray();
        var fast = (float[])prior.Clone();
        var reference = (float[])prior.Clone();
        c.Fast(v, g, fast);
        c.Reference(v, g, reference);
        // The prior values are O(1), so compare at that scale: adding can cancel to a small result.
        TensorAssert.Close(reference, fast, Rtol, 1e-6, op);
    }

    [Fact]
    public void Same_formula_at_every_width_is_bit_exact_without_library_calls()
    {
        // Formulas built only from arithmetic and the float Exp of VectorMath (no runtime Log or Sqrt, nothing fused)
        // must agree bit for bit between the vector and scalar forms.
        var x = TensorAssert.Random(5, -8, 8, 1000).Floats.ToArray();
        foreach (var op in new[] { "Neg", "Abs", "Floor", "Ceil", "Square", "HardSwish", "LeakyRelu", "HardSigmoid", "Clip",
                     "Exp", "Erf", "Sigmoid", "Gelu", "GeluTanh", "Mish", "Elu", "Selu" })
        {
            var fast = new float[x.Length];
            var reference = new float[x.Length];
            Forward[op].Fast(x, fast);
            Forward[op].Reference(x, reference);
            Assert.Equal(reference, fast);
        }
    }
}
