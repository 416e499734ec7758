using Prunus.Kernels;
using Prunus.Tests.Support;

namespace Prunus.Tests.Kernels;

[Trait("Category", "Kernel")]
public class SoftmaxKernelTests
{
    public static TheoryData<int, bool> SizesAndLog()
    {
        var d = new TheoryData<int, bool>();
        foreach (var n in TensorAssert.Sizes) { d.Add(n, false); d.Add(n, true); }
        return d;
    }

    [Theory]
    [MemberData(nameof(SizesAndLog))]
    public void Row_matches_reference(int n, bool log)
    {
        var x = TensorAssert.Random(n, -20, 20, n).Floats.ToArray();
        var fast = new float[n];
        var reference = new float[n];
        Softmax.Row(x, fast, log);
        Softmax.RowReference(x, reference, log);
        TensorAssert.Close(reference, fast, rtol: 2e-5, atol: 1e-6, what: "softmax row");
        if (!log && n > 0) Assert.InRange(fast.Sum(), 0.9999f, 1.0001f);
    }

    [Theory]
    [MemberData(nameof(SizesAndLog))]
    public void Columns_match_reference(int size, bool log)
    {
        // The axis (n) both short with a wide inner run, and long with an odd inner run.
        foreach (var (n, inner) in new[] { (3, size), (size, 5), (2, size) })
        {
            var x = TensorAssert.Random(size + n, -20, 20, n * inner).Floats.ToArray();
            var fast = new float[n * inner];
            var reference = new float[n * inner];
            Softmax.Columns(x, fast, n, inner, log);
            Softmax.ColumnsReference(x, reference, n, inner, log);
            TensorAssert.Close(reference, fast, rtol: 2e-5, atol: 1e-6, what: $"softmax columns [{n},{inner}]");
        }
    }

    [Theory]
    [MemberData(nameof(SizesAndLog))]
    public void Row_backward_matches_reference(int n, bool log)
    {
        var x = TensorAssert.Random(n, -3, 3, n).Floats.ToArray();
        var y = new float[n];
        Softmax.RowReference(x, y, log);
        var dy = TensorAssert.Random(n + 1, -1, 1, n).Floats.ToArray();
        var fast = TensorAssert.Random(n + 2, -1, 1, n).Floats.ToArray();
        var reference = (float[])fast.Clone();
        Softmax.RowBackward(y, dy, fast, log);
        Softmax.RowBackwardReference(y, dy, reference, log);
        TensorAssert.Close(reference, fast, rtol: 1e-4, atol: 2e-6, what: "softmax row backward");
    }

    [Theory]
    [MemberData(nameof(SizesAndLog))]
    public void Columns_backward_matches_reference(int size, bool log)
    {
        foreach (var (n, inner) in new[] { (3, size), (size, 5) })
        {
            var x = TensorAssert.Random(size, -3, 3, n * inner).Floats.ToArray();
            var y = new float[n * inner];
            Softmax.ColumnsReference(x, y, n, inner, log);
            var dy = TensorAssert.Random(size + 1, -1, 1, n * inner).Floats.ToArray();
            var fast = TensorAssert.Random(size + 2, -1, 1, n * inner).Floats.ToArray();
            var reference = (float[])fast.Clone();
            Softmax.ColumnsBackward(y, dy, fast, n, inner, log);
            Softmax.ColumnsBackwardReference(y, dy, reference, n, inner, log);
            TensorAssert.Close(reference, fast, rtol: 1e-4, atol: 2e-6, what: $"softmax columns backward [{n},{inner}]");
        }
    }

    [Fact]
    public void Large_inputs_stay_finite()
    {
        var y = new float[3];
        Softmax.Row([1000f, 1001f, -1000f], y, log: false);
        TensorAssert.Close([0.26894142f, 0.7310586f, 0f], y);
        Softmax.Row([1000f, 1001f, -1000f], y, log: true);
        TensorAssert.Close([-1.3132616f, -0.31326166f, -2001.3132f], y, rtol: 1e-6);
    }
}
