using System.Numerics.Tensors;

namespace Prunus.Kernels;

/// <summary>The elementwise functions a producer kernel (convolution, GEMM) can apply to its output before storing it.</summary>
public enum ActivationKind
{
    /// <summary>Nothing: y = x.</summary>
    None,
    /// <summary>max(x, 0).</summary>
    Relu,
    /// <summary>min(max(x, min), max); Relu6 is Clip(0, 6).</summary>
    Clip,
    /// <summary>x for x &gt;= 0, alpha x otherwise.</summary>
    LeakyRelu,
    /// <summary>max(0, min(1, alpha x + beta)).</summary>
    HardSigmoid,
    /// <summary>x max(0, min(1, x/6 + 1/2)).</summary>
    HardSwish,
    /// <summary>1 / (1 + e^-x).</summary>
    Sigmoid,
    /// <summary>tanh(x).</summary>
    Tanh,
    /// <summary>x Phi(x) (exact, with erf).</summary>
    Gelu,
    /// <summary>0.5 x (1 + tanh(sqrt(2/pi)(x + 0.044715 x^3))).</summary>
    GeluTanh,
}

/// <summary>
/// An activation applied by the kernel that produced the values, on a block of output while it is still in cache,
/// instead of by a separate pass over the whole tensor. Alpha and Beta are the function's parameters: Clip's min and
/// max, LeakyRelu's alpha, HardSigmoid's alpha and beta; unused otherwise.
/// </summary>
public readonly record struct FusedActivation(ActivationKind Kind, float Alpha = 0, float Beta = 0)
{
    /// <summary>No activation.</summary>
    public static FusedActivation None => default;

    /// <summary>Whether there is nothing to apply.</summary>
    public bool IsNone => Kind == ActivationKind.None;

    /// <summary>Relu, which the GEMM micro-kernels apply in registers (see <see cref="GemmEpilogue"/>).</summary>
    public bool IsRelu => Kind == ActivationKind.Relu;

    /// <summary>y = f(y) in place (SIMD).</summary>
    public void Apply(Span<float> y)
    {
        switch (Kind)
        {
            case ActivationKind.None: break;
            case ActivationKind.Relu: VectorLoops.Unary<Elementwise.ReluOp>(y, y); break;
            case ActivationKind.Clip: VectorLoops.Unary(new Elementwise.ClipFunc(Alpha, Beta), y, y); break;
            case ActivationKind.LeakyRelu: VectorLoops.Unary(new Elementwise.LeakyReluFunc(Alpha), y, y); break;
            case ActivationKind.HardSigmoid: VectorLoops.Unary(new Elementwise.HardSigmoidFunc(Alpha, Beta), y, y); break;
            case ActivationKind.HardSwish: VectorLoops.Unary<Elementwise.HardSwishOp>(y, y); break;
            case ActivationKind.Sigmoid: VectorLoops.Unary<Elementwise.SigmoidOp>(y, y); break;
            case ActivationKind.Tanh: TensorPrimitives.Tanh(y, y); break;
            case ActivationKind.Gelu: VectorLoops.Unary<Elementwise.GeluOp>(y, y); break;
            case ActivationKind.GeluTanh: VectorLoops.Unary<Elementwise.GeluTanhOp>(y, y); break;
            default: throw new InvalidOperationException($"unknown activation {Kind}");
        }
    }

    /// <summary>Scalar reference of <see cref="Apply"/>.</summary>
    public void ApplyReference(Span<float> y)
    {
        switch (Kind)
        {
            case ActivationKind.None: break;
            case ActivationKind.Relu: VectorLoops.UnaryReference<Elementwise.ReluOp>(y, y); break;
            case ActivationKind.Clip: VectorLoops.UnaryReference(new Elementwise.ClipFunc(Alpha, Beta), y, y); break;
            case ActivationKind.LeakyRelu: VectorLoops.UnaryReference(new Elementwise.LeakyReluFunc(Alpha), y, y); break;
            case ActivationKind.HardSigmoid: VectorLoops.UnaryReference(new Elementwise.HardSigmoidFunc(Alpha, Beta), y, y); break;
            case ActivationKind.HardSwish: VectorLoops.UnaryReference<Elementwise.HardSwishOp>(y, y); break;
            case ActivationKind.Sigmoid: VectorLoops.UnaryReference<Elementwise.SigmoidOp>(y, y); break;
            case ActivationKind.Tanh: for (int i = 0; i < y.Length; i++) y[i] = MathF.Tanh(y[i]); break;
            case ActivationKind.Gelu: VectorLoops.UnaryReference<Elementwise.GeluOp>(y, y); break;
            case ActivationKind.GeluTanh: VectorLoops.UnaryReference<Elementwise.GeluTanhOp>(y, y); break;
            default: throw new InvalidOperationException($"unknown activation {Kind}");
        }
    }

    /// <summary>A short name for profiles, e.g. "relu" or "clip(0,6)".</summary>
    public override string ToString() => Kind switch
    {
        ActivationKind.Clip => FormattableString.Invariant($"clip({Alpha},{Beta})"),
        ActivationKind.LeakyRelu => FormattableString.Invariant($"leakyrelu({Alpha})"),
        ActivationKind.HardSigmoid => FormattableString.Invariant($"hardsigmoid({Alpha},{Beta})"),
        _ => Kind.ToString().ToLowerInvariant(),
    };
}
