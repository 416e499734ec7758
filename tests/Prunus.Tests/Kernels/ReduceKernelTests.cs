using Prunus.Kernels;
using Prunus.Tests.Support;

namespace Prunus.Tests.Kernels;

[Trait("Category", "Kernel")]
public class ReduceKernelTests
{
    private static void RowCase<TOp>(int n, float lo, float hi, double rtol) where TOp : struct, IReduceOp
    {
        var x = TensorAssert.Random(n, lo, hi, n).Floats.ToArray();
        float fast = RowReduce.Reduce<TOp>(x), reference = RowReduce.ReduceReference<TOp>(x);
        // Max and Min are exact in any order (and give ±∞ for an empty row), so they compare exactly.
        if (rtol == 0) Assert.Equal(reference, fast);
        else TensorAssert.Close([reference], [fast], rtol: rtol, atol: 1e-5, what: typeof(TOp).Name);
        var acc = TensorAssert.Random(n + 1, lo, hi, n).Floats.ToArray();
        var accRef = (float[])acc.Clone();
        RowReduce.Accumulate<TOp>(acc, x);
        RowReduce.AccumulateReference<TOp>(accRef, x);
        Assert.Equal(accRef, acc);
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Row_reductions_match_reference(int n)
    {
        RowCase<RowReduce.Sum>(n, -1, 1, 1e-4);
        RowCase<RowReduce.SumSquares>(n, -1, 1, 1e-4);
        RowCase<RowReduce.Max>(n, -5, 5, 0);
        RowCase<RowReduce.Min>(n, -5, 5, 0);
        // Values near 1 keep long products finite.
        RowCase<RowReduce.Product>(n, 0.99f, 1.01f, 1e-4);
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Dot_matches_reference(int n)
    {
        var x = TensorAssert.Random(n, -1, 1, n).Floats;
        var y = TensorAssert.Random(n + 7, -1, 1, n).Floats;
        TensorAssert.Close([RowReduce.DotReference(x, y)], [RowReduce.Dot(x, y)], rtol: 1e-4, atol: 1e-5);
    }

    public static TheoryData<int[], bool[]> Layouts() => new()
    {
        { [3, 5, 7], [false, true, false] },
        { [3, 5, 7], [true, false, true] },
        { [3, 5, 7], [false, false, true] },
        { [3, 5, 7], [true, true, false] },
        { [3, 5, 7], [true, true, true] },
        { [2, 1, 3, 1, 5], [true, false, false, true, true] },
        { [4, 3, 2, 5], [false, true, false, true] },
        { [1000], [true] },
        { [255, 17], [true, false] },
        { [17, 255], [false, true] },
        { [7, 0, 3], [false, true, false] },
        { [1, 1], [true, true] },
    };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Axis_reduce_matches_reference(int[] shape, bool[] reduced)
    {
        var x = TensorAssert.Random(shape.Sum(), -2, 2, shape).Floats.ToArray();
        int outLength = shape.Where((_, d) => !reduced[d]).Aggregate(1, (a, b) => a * b);
        var (runs, runReduced) = AxisReduce.Layout(shape, reduced);
        void Check<TOp>(bool exact = false) where TOp : struct, IReduceOp
        {
            var fast = new float[outLength];
            var reference = new float[outLength];
            AxisReduce.Forward<TOp>(x, runs, runReduced, fast);
            AxisReduce.ForwardReference<TOp>(x, shape, reduced, reference);
            if (exact) Assert.Equal(reference, fast);
            else TensorAssert.Close(reference, fast, rtol: 1e-4, atol: 1e-5, what: typeof(TOp).Name);
        }
        Check<RowReduce.Sum>();
        Check<RowReduce.Max>(exact: true);
        Check<RowReduce.Min>(exact: true);
        Check<RowReduce.SumSquares>();

        var dy = TensorAssert.Random(7, -1, 1, outLength).Floats.ToArray();
        var dx = TensorAssert.Random(8, -1, 1, x.Length).Floats.ToArray();
        var dxRef = (float[])dx.Clone();
        AxisReduce.BroadcastAdd(dy, 0.5f, runs, runReduced, dx);
        AxisReduce.BroadcastAddReference(dy, 0.5f, shape, reduced, dxRef);
        Assert.Equal(dxRef, dx);
    }
}
