using Prunus.Quantization;
using Prunus.Quantization.WeightOnly;

namespace Prunus.Tests.Quantization.WeightOnly;

public sealed class GroupQuantizationTests
{
    private static float[] Weights(int rows, int cols, int seed)
    {
        var rng = new Random(seed);
        var w = new float[rows * cols];
        for (int i = 0; i < w.Length; i++) w[i] = (float)((rng.NextDouble() * 2 - 1) * (1 + i % 7));
        return w;
    }

    public static TheoryData<int, bool, int> Formats() => new()
    {
        { 4, true, 32 }, { 4, false, 32 }, { 4, true, 128 }, { 4, true, 7 }, { 4, false, 50 }, { 8, true, 32 }, { 8, false, 128 }, { 8, true, 200 },
    };

    /// <summary>The named error budget of round-to-nearest: every weight within half a step of its group's scale.</summary>
    [Theory]
    [MemberData(nameof(Formats))]
    public void Round_to_nearest_errs_by_at_most_half_a_step(int bits, bool symmetric, int groupSize)
    {
        const int rows = 5, cols = 150;
        var w = Weights(rows, cols, bits * 100 + groupSize);
        var spec = new WeightOnlyOptions { Bits = bits, Symmetric = symmetric }.Spec;
        var m = GroupQuantizedMatrix.RoundToNearest(w, rows, cols, groupSize, spec);
        Assert.Equal(Math.Min(groupSize, cols), m.GroupSize);
        Assert.Equal((cols + m.GroupSize - 1) / m.GroupSize, m.Groups);
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
            {
                int q = m.Values[r * cols + c];
                Assert.InRange(q, spec.QMin, spec.QMax);
                double err = Math.Abs(w[r * cols + c] - m.Dequantize(r, c));
                Assert.True(err <= m.Step(r, c) / 2 * (1 + 1e-6), $"({r},{c}): error {err} exceeds half the step {m.Step(r, c)}");
            }
        // Each group's extremes use the outermost levels: the grid is no coarser than it must be.
        for (int r = 0; r < rows; r++)
            for (int g = 0; g < m.Groups; g++)
            {
                var (start, length) = m.GroupColumns(g);
                var q = m.Values.AsSpan(r * cols + start, length).ToArray();
                Assert.True(q.Contains(spec.QMin) || q.Contains(spec.QMax) || (symmetric && q.Contains(-spec.QMax)), $"row {r} group {g} uses levels {q.Min()}..{q.Max()}");
            }
    }

    [Fact]
    public void Symmetric_int4_uses_levels_minus_7_to_7_with_zero_points_0()
    {
        float[] w = [0.7f, -0.4f, 0.25f, 0.05f, -0.7f, 0.15f];
        var m = GroupQuantizedMatrix.RoundToNearest(w, 1, 6, 3, new WeightOnlyOptions { Bits = 4 }.Spec);
        Assert.Equal(new[] { 0.1f, 0.1f }, m.Scales);
        Assert.Equal(new[] { 0, 0 }, m.ZeroPoints);
        // 0.25 / 0.1 = 2.5 rounds half to even: 2; 0.05 / 0.1 = 0.5 rounds to 0; 0.15 / 0.1 = 1.5 to 2.
        Assert.Equal(new[] { 7, -4, 2, 0, -7, 2 }, m.Values);
    }

    [Fact]
    public void Asymmetric_uint4_places_the_zero_point_inside_the_range()
    {
        float[] w = [0.1f, 1.6f, 0.4f, -0.2f];
        var m = GroupQuantizedMatrix.RoundToNearest(w, 1, 4, 4, new WeightOnlyOptions { Bits = 4, Symmetric = false }.Spec);
        Assert.Equal((1.6f - -0.2f) / 15, m.Scales[0], 6);
        Assert.Equal(2, m.ZeroPoints[0]); // round(0.2 / 0.12) = round(1.67)
        Assert.Equal(15, m.Values[1]);
        Assert.Equal(0, m.Values[3]);
    }

    [Fact]
    public void Options_refuse_unsupported_bit_widths()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new WeightOnlyOptions { Bits = 3 }.Validate());
        Assert.Contains("4 or 8 bits", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeightOnlyOptions { GroupSize = -1 }.Validate());
        Assert.Equal(QuantizedType.UInt4, new WeightOnlyOptions { Bits = 4, Symmetric = false }.Type);
        Assert.Equal(QuantizedType.Int8, new WeightOnlyOptions { Bits = 8 }.Type);
    }
}
