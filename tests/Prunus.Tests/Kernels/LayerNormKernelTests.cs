using Prunus.Kernels;
using Prunus.Tests.Support;

namespace Prunus.Tests.Kernels;

[Trait("Category", "Kernel")]
public class LayerNormKernelTests
{
    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Row_matches_reference(int n)
    {
        var x = TensorAssert.Random(n, -2, 5, n).Floats.ToArray();
        var scale = TensorAssert.Random(n + 1, 0.5f, 2, n).Floats.ToArray();
        var bias = TensorAssert.Random(n + 2, -1, 1, n).Floats.ToArray();
        foreach (var b in new[] { bias, [] })
        {
            var fast = new float[n];
            var reference = new float[n];
            LayerNorm.Row(x, scale, b, 1e-5f, fast, out float m1, out float i1);
            LayerNorm.RowReference(x, scale, b, 1e-5f, reference, out float m2, out float i2);
            TensorAssert.Close(reference, fast, rtol: 1e-4, atol: 1e-5, what: "layer norm row");
            Assert.Equal(m2, m1, 1e-4f);
            Assert.Equal(i2, i1, i2 * 1e-4f);
        }
    }

    [Fact]
    public void Row_backward_matches_finite_differences_including_the_statistics()
    {
        // L = Σ y·gy + mean·gm + invStd·gi, differentiated numerically in double.
        const int n = 11;
        var x = TensorAssert.Random(1, -2, 2, n).Floats.ToArray();
        var scale = TensorAssert.Random(2, 0.5f, 2, n).Floats.ToArray();
        var bias = TensorAssert.Random(3, -1, 1, n).Floats.ToArray();
        var gy = TensorAssert.Random(4, -1, 1, n).Floats.ToArray();
        const float gm = 0.7f, gi = -0.4f, eps = 1e-3f;
        double Loss(float[] xs, float[] sc, float[] bi)
        {
            var y = new float[n];
            LayerNorm.RowReference(xs, sc, bi, eps, y, out float mean, out float inv);
            double l = mean * gm + inv * gi;
            for (int i = 0; i < n; i++) l += y[i] * gy[i];
            return l;
        }
        LayerNorm.Row(x, scale, bias, eps, new float[n], out float m, out float invStd);
        var dx = new float[n];
        var dScale = new float[n];
        var dBias = new float[n];
        LayerNorm.RowBackward(x, m, invStd, scale, gy, dx, dScale, dBias, gm, gi);
        foreach (var (arr, grad) in new[] { (x, dx), (scale, dScale), (bias, dBias) })
            for (int i = 0; i < n; i++)
            {
                float orig = arr[i];
                arr[i] = orig + 1e-2f; double up = Loss(x, scale, bias);
                arr[i] = orig - 1e-2f; double down = Loss(x, scale, bias);
                arr[i] = orig;
                Assert.Equal((up - down) / 2e-2, grad[i], 2e-3);
            }
    }
}
