using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Prunus.Kernels;

/// <summary>
/// One vector width of floats, as a struct of static members, so that a kernel loop written once over
/// <typeparamref name="TV"/> is specialized by the JIT for 512, 256 and 128 bits. Loads and stores are unchecked:
/// callers keep i + Count within the span.
/// </summary>
internal interface IFloatVector<TV> where TV : struct
{
    static abstract bool IsAccelerated { get; }
    static abstract int Count { get; }
    static abstract TV Load(ReadOnlySpan<float> s, int i);
    static abstract void Store(TV v, Span<float> s, int i);
    static abstract TV Create(float x);
    static abstract TV Add(TV a, TV b);
    static abstract TV Subtract(TV a, TV b);
    static abstract TV Multiply(TV a, TV b);
    static abstract TV Divide(TV a, TV b);
    static abstract TV Max(TV a, TV b);
    static abstract TV Exp(TV a);
    static abstract TV Log(TV a);
    static abstract float Sum(TV v);
}

internal readonly struct F512 : IFloatVector<Vector512<float>>
{
    public static bool IsAccelerated => Vector512.IsHardwareAccelerated;
    public static int Count => Vector512<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Load(ReadOnlySpan<float> s, int i) => Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector512<float> v, Span<float> s, int i) => v.StoreUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);
    public static Vector512<float> Create(float x) => Vector512.Create(x);
    public static Vector512<float> Add(Vector512<float> a, Vector512<float> b) => a + b;
    public static Vector512<float> Subtract(Vector512<float> a, Vector512<float> b) => a - b;
    public static Vector512<float> Multiply(Vector512<float> a, Vector512<float> b) => a * b;
    public static Vector512<float> Divide(Vector512<float> a, Vector512<float> b) => a / b;
    public static Vector512<float> Max(Vector512<float> a, Vector512<float> b) => Vector512.Max(a, b);
    public static Vector512<float> Exp(Vector512<float> a) => Vector512.Exp(a);
    public static Vector512<float> Log(Vector512<float> a) => Vector512.Log(a);
    public static float Sum(Vector512<float> v) => Vector512.Sum(v);
}

internal readonly struct F256 : IFloatVector<Vector256<float>>
{
    public static bool IsAccelerated => Vector256.IsHardwareAccelerated;
    public static int Count => Vector256<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Load(ReadOnlySpan<float> s, int i) => Vector256.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector256<float> v, Span<float> s, int i) => v.StoreUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);
    public static Vector256<float> Create(float x) => Vector256.Create(x);
    public static Vector256<float> Add(Vector256<float> a, Vector256<float> b) => a + b;
    public static Vector256<float> Subtract(Vector256<float> a, Vector256<float> b) => a - b;
    public static Vector256<float> Multiply(Vector256<float> a, Vector256<float> b) => a * b;
    public static Vector256<float> Divide(Vector256<float> a, Vector256<float> b) => a / b;
    public static Vector256<float> Max(Vector256<float> a, Vector256<float> b) => Vector256.Max(a, b);
    public static Vector256<float> Exp(Vector256<float> a) => Vector256.Exp(a);
    public static Vector256<float> Log(Vector256<float> a) => Vector256.Log(a);
    public static float Sum(Vector256<float> v) => Vector256.Sum(v);
}

internal readonly struct F128 : IFloatVector<Vector128<float>>
{
    public static bool IsAccelerated => Vector128.IsHardwareAccelerated;
    public static int Count => Vector128<float>.Count;
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector128<float> Load(ReadOnlySpan<float> s, int i) => Vector128.LoadUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector128<float> v, Span<float> s, int i) => v.StoreUnsafe(ref MemoryMarshal.GetReference(s), (nuint)i);
    public static Vector128<float> Create(float x) => Vector128.Create(x);
    public static Vector128<float> Add(Vector128<float> a, Vector128<float> b) => a + b;
    public static Vector128<float> Subtract(Vector128<float> a, Vector128<float> b) => a - b;
    public static Vector128<float> Multiply(Vector128<float> a, Vector128<float> b) => a * b;
    public static Vector128<float> Divide(Vector128<float> a, Vector128<float> b) => a / b;
    public static Vector128<float> Max(Vector128<float> a, Vector128<float> b) => Vector128.Max(a, b);
    public static Vector128<float> Exp(Vector128<float> a) => Vector128.Exp(a);
    public static Vector128<float> Log(Vector128<float> a) => Vector128.Log(a);
    public static float Sum(Vector128<float> v) => Vector128.Sum(v);
}
