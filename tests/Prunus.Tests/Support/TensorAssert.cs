using Prunus.Tensors;

namespace Prunus.Tests.Support;

/// <summary>Comparisons with tolerances, and the sizes every kernel is tested at.</summary>
public static class TensorAssert
{
    /// <summary>The lengths every fast kernel is compared with its reference at (DESIGN.md conventions).</summary>
    public static readonly int[] Sizes = [0, 1, 7, 17, 255, 1000];

    public static TheoryData<int> SizeData()
    {
        var d = new TheoryData<int>();
        foreach (var s in Sizes) d.Add(s);
        return d;
    }

    public static void Close(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, double rtol = 1e-5, double atol = 1e-6, string what = "")
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double e = expected[i], a = actual[i];
            if (double.IsNaN(e) && double.IsNaN(a)) continue;
            Assert.True(Math.Abs(e - a) <= atol + rtol * Math.Abs(e), $"{what}[{i}]: expected {e:G9}, got {a:G9}");
        }
    }

    public static void Close(Tensor expected, Tensor actual, double rtol = 1e-5, double atol = 1e-6)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        Close(expected.Floats, actual.Floats, rtol, atol);
    }

    /// <summary>Deterministic uniform values in [lo, hi).</summary>
    public static Tensor Random(int seed, float lo, float hi, params int[] shape)
    {
        var rng = new Random(seed);
        var t = Tensor.Zeros(shape);
        var s = t.Floats;
        for (int i = 0; i < s.Length; i++) s[i] = lo + (float)rng.NextDouble() * (hi - lo);
        return t;
    }

    /// <summary>Uniform values in [-hi, -lo] ∪ [lo, hi]: away from the kinks of Relu, Abs, Max.</summary>
    public static Tensor AwayFromZero(int seed, float lo, float hi, params int[] shape)
    {
        var t = Random(seed, lo, hi, shape);
        var rng = new Random(seed + 1000);
        var s = t.Floats;
        for (int i = 0; i < s.Length; i++) if (rng.Next(2) == 0) s[i] = -s[i];
        return t;
    }
}
