using Prunus.Quantization;
using Prunus.Quantization.WeightOnly;
using Prunus.Tests.Support;

namespace Prunus.Tests.Quantization.WeightOnly;

public sealed class GptqTests
{
    /// <summary>
    /// n rows of correlated inputs: x = z A + noise with z of <paramref name="rank"/> latent factors, so that neighbouring
    /// columns move together (as pixels and feature maps do) and rounding errors can be compensated across columns.
    /// </summary>
    private static double[] CorrelatedInputs(int n, int cols, int rank, int seed)
    {
        var rng = new Random(seed);
        var a = new double[rank * cols];
        for (int i = 0; i < a.Length; i++) a[i] = rng.NextDouble() * 2 - 1;
        var x = new double[n * cols];
        var z = new double[rank];
        for (int r = 0; r < n; r++)
        {
            for (int k = 0; k < rank; k++) z[k] = rng.NextDouble() * 2 - 1;
            for (int c = 0; c < cols; c++)
            {
                double v = 0.05 * (rng.NextDouble() * 2 - 1);
                for (int k = 0; k < rank; k++) v += z[k] * a[k * cols + c];
                x[r * cols + c] = v;
            }
        }
        return x;
    }

    private static double[] Gram(double[] x, int n, int cols)
    {
        var h = new double[cols * cols];
        for (int r = 0; r < n; r++)
            for (int i = 0; i < cols; i++)
                for (int j = 0; j < cols; j++) h[i * cols + j] += x[r * cols + i] * x[r * cols + j];
        return h;
    }

    /// <summary>||X W^T - X Wq^T||_F.</summary>
    private static double OutputError(double[] x, int n, int cols, float[] w, float[] wq, int rows)
    {
        double sum = 0;
        for (int r = 0; r < n; r++)
            for (int o = 0; o < rows; o++)
            {
                double d = 0;
                for (int c = 0; c < cols; c++) d += x[r * cols + c] * (w[o * cols + c] - wq[o * cols + c]);
                sum += d * d;
            }
        return Math.Sqrt(sum);
    }

    private static float[] Weights(int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, rows * cols).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
    }

    [Theory]
    [InlineData(4, 32, false)]
    [InlineData(4, 32, true)]
    [InlineData(4, 0, false)]
    [InlineData(8, 16, false)]
    [InlineData(4, 20, true)]
    public void Gptq_output_error_is_clearly_below_round_to_nearest_on_correlated_inputs(int bits, int group, bool actOrder)
    {
        const int n = 400, cols = 64, rows = 12;
        var x = CorrelatedInputs(n, cols, 8, seed: 5);
        var h = Gram(x, n, cols);
        var w = Weights(rows, cols, 9);
        var spec = new WeightOnlyOptions { Bits = bits }.Spec;
        int g = group == 0 ? cols : group;
        var rtn = GroupQuantizedMatrix.RoundToNearest(w, rows, cols, g, spec);
        var (gptq, estimate) = Gptq.QuantizeMatrix(w, rows, cols, h, g, spec, actOrder: actOrder, pool: TestPools.Two);
        double rtnError = OutputError(x, n, cols, w, rtn.Dequantize(), rows);
        double gptqError = OutputError(x, n, cols, w, gptq.Dequantize(), rows);
        Assert.True(gptqError < 0.6 * rtnError, $"GPTQ {gptqError:G4} vs round-to-nearest {rtnError:G4}");
        Assert.True(estimate > 0);
        for (int i = 0; i < gptq.Values.Length; i++) Assert.InRange(gptq.Values[i], spec.QMin, spec.QMax);
    }

    [Fact]
    public void With_uncorrelated_inputs_gptq_is_round_to_nearest()
    {
        // A diagonal H decouples the columns: no error feedback, so every weight is simply rounded.
        const int cols = 40, rows = 6;
        var h = new double[cols * cols];
        for (int j = 0; j < cols; j++) h[j * cols + j] = 1 + j % 5;
        var w = Weights(rows, cols, 3);
        var spec = new WeightOnlyOptions { Bits = 4, Symmetric = false }.Spec;
        var rtn = GroupQuantizedMatrix.RoundToNearest(w, rows, cols, 16, spec);
        var (gptq, _) = Gptq.QuantizeMatrix(w, rows, cols, h, 16, spec, actOrder: true, pool: TestPools.One);
        Assert.Equal(rtn.Values, gptq.Values);
        Assert.Equal(rtn.Scales, gptq.Scales);
        Assert.Equal(rtn.ZeroPoints, gptq.ZeroPoints);
    }

    [Fact]
    public void Dead_inputs_keep_their_rounded_weights()
    {
        // Column 3 is zero on every row: its weights cannot matter for the calibration outputs, and are rounded, not dropped.
        const int n = 50, cols = 8, rows = 3;
        var x = CorrelatedInputs(n, cols, 3, seed: 1);
        for (int r = 0; r < n; r++) x[r * cols + 3] = 0;
        var w = Weights(rows, cols, 4);
        var spec = new WeightOnlyOptions { Bits = 8 }.Spec;
        var (m, _) = Gptq.QuantizeMatrix(w, rows, cols, Gram(x, n, cols), cols, spec, pool: TestPools.One);
        for (int r = 0; r < rows; r++) Assert.True(Math.Abs(m.Dequantize(r, 3) - w[r * cols + 3]) <= m.Step(r, 3), $"row {r}");
    }
}
