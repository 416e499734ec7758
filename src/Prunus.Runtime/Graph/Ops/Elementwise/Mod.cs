using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Mod: C = A mod B with NumPy broadcasting. fmod=0 (integers only): the remainder takes the divisor's sign, as
/// Python's %; fmod=1: the remainder takes the dividend's sign, as C's fmod. Float32 (fmod=1) with gradients, the
/// other numeric types forward only.
/// </summary>
public sealed class ModOp : BroadcastBinaryOp
{
    public override string OpType => "Mod";
    public override OpsetRange? Opsets => OpsetRange.Since(10);
    protected override bool AcceptsOtherNumericTypes => true;

    /// <inheritdoc/>
    protected override void CheckTypes(NodeContext ctx, DataType a, DataType b)
    {
        base.CheckTypes(ctx, a, b);
        long fmod = ctx.Int("fmod", 0);
        if (fmod is not (0 or 1)) throw ctx.Error($"attribute fmod must be 0 or 1, got {fmod}");
        bool isFloat = a is DataType.Float32 or DataType.Float64;
        if (isFloat && fmod != 1) throw ctx.Error($"a {a} Mod needs fmod=1 (fmod=0 is defined for integers only)");
        if (!isFloat && ctx.Constant(1) is { } divisor && Enumerable.Range(0, divisor.Length).Any(i => divisor.GetAsDouble(i) == 0))
            throw ctx.Error("the divisor B contains a zero");
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        if (ctx.Input(0).Type == DataType.Float32) return new FmodKernel(ctx);
        return ctx.Int("fmod", 0) == 1 ? new BroadcastScalarKernel<TruncatedMod>(ctx) : new BroadcastScalarKernel<FlooredMod>(ctx);
    }

    /// <summary>x - trunc(x / y) y: the sign of x (C's % and fmod; .NET's % for every numeric type).</summary>
    internal readonly struct TruncatedMod : IScalarFamily
    {
        public static T Invoke<T>(T x, T y) where T : INumber<T> => x % y;
    }

    /// <summary>x - floor(x / y) y: the sign of y (Python's %); 0 stays 0.</summary>
    internal readonly struct FlooredMod : IScalarFamily
    {
        public static T Invoke<T>(T x, T y) where T : INumber<T>
        {
            var r = x % y;
            return r != T.Zero && T.IsNegative(r) != T.IsNegative(y) ? r + y : r;
        }
    }

    /// <summary>C's fmod of two floats (C#'s float % is exactly that).</summary>
    internal readonly struct FloatFmod : IScalarBinaryOp<float>
    {
        public static float Invoke(float x, float y) => x % y;
    }

    /// <summary>-trunc(a / b) g: the gradient of fmod(a, b) with respect to b.</summary>
    internal readonly struct FmodGradDivisorOp : ITernaryOp
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static float Invoke(float a, float b, float g) => -MathF.Truncate(a / b) * g;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector128<float> Invoke(Vector128<float> a, Vector128<float> b, Vector128<float> g) => -Vector128.Truncate(a / b) * g;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector256<float> Invoke(Vector256<float> a, Vector256<float> b, Vector256<float> g) => -Vector256.Truncate(a / b) * g;
        [MethodImpl(MethodImplOptions.AggressiveInlining)] public static Vector512<float> Invoke(Vector512<float> a, Vector512<float> b, Vector512<float> g) => -Vector512.Truncate(a / b) * g;
    }

    private sealed class FmodKernel : BroadcastFloatKernel
    {
        private readonly BroadcastLayout _reduceA, _gradB;

        public FmodKernel(NodeContext ctx) : base(ctx)
        {
            _reduceA = ReduceLayout(OperandA);
            _gradB = GradLayout(OperandB, OperandA, OperandB);
        }

        // Rare in exported graphs, so one scalar loop over the whole output rather than ranges on the pool.
        public override void Forward(RunContext ctx) => Broadcast.MapScalar<float, FloatFmod>(Layout, A, B, Y);

        protected override void ForwardRange(int start, int count) => throw new System.Diagnostics.UnreachableException();

        // dA += dy, dB += -trunc(a / b) dy, each summed over its broadcast dimensions (the quotient is piecewise constant).
        protected override void BackwardRange(int input, int start, int count)
        {
            if (input == 0) Broadcast.ReduceAccumulate(_reduceA, DY, Grad(0), start, count, subtract: false);
            else Broadcast.Accumulate<FmodGradDivisorOp>(_gradB, A, B, DY, Grad(1), start, count);
        }
    }
}
