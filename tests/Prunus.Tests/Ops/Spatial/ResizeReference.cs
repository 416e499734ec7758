namespace Prunus.Tests.Ops.Spatial;

/// <summary>
/// ONNX Resize computed the slow way the ONNX specification's reference does: each output element interpolates the
/// outermost axis over values that are themselves interpolations of the inner axes; along an axis, the input coordinate
/// comes from the coordinate transformation, the taps are the n input indices nearest to it (edge padded, smaller
/// index first on ties) and the coefficients come from the filter. Independent of the tap tables of the kernel.
/// </summary>
internal static class ResizeReference
{
    /// <summary>Resize settings, spelled as the ONNX attributes.</summary>
    public sealed record Options
    {
        public string Mode { get; init; } = "nearest";
        public string Transform { get; init; } = "half_pixel";
        public string Nearest { get; init; } = "round_prefer_floor";
        public double CubicA { get; init; } = -0.75;
        public bool ExcludeOutside { get; init; }
        public double Extrapolation { get; init; }
        /// <summary>Starts then ends, one per axis (tf_crop_and_resize).</summary>
        public double[]? Roi { get; init; }
    }

    /// <summary>Resizes <paramref name="data"/> of <paramref name="shape"/> with per-axis scales and output sizes.</summary>
    public static float[] Run(float[] data, int[] shape, double[] scales, int[] output, Options o)
    {
        var values = data.Select(v => (double)v).ToArray();
        int total = output.Aggregate(1, (a, b) => a * b);
        var result = new float[total];
        var coord = new int[output.Length];
        for (int i = 0; i < total; i++)
        {
            int rest = i;
            for (int a = output.Length - 1; a >= 0; a--) { coord[a] = rest % output[a]; rest /= output[a]; }
            result[i] = (float)Interpolate(values, shape, 0, scales, output, coord, o);
        }
        return result;
    }

    private static double Interpolate(double[] data, int[] shape, int axis, double[] scales, int[] output, int[] coord, Options o)
    {
        int n = shape[axis];
        int inner = 1;
        for (int a = axis + 1; a < shape.Length; a++) inner *= shape[a];
        var line = new double[n];
        for (int i = 0; i < n; i++)
            line[i] = axis == shape.Length - 1 ? data[i]
                : Interpolate(data.AsSpan(i * inner, inner).ToArray(), shape, axis + 1, scales, output, coord, o);
        return Interpolate1D(line, scales[axis], output[axis], coord[axis], axis, shape.Length, o);
    }

    private static double Interpolate1D(double[] data, double scale, int outputSize, int x, int axis, int rank, Options o)
    {
        int n = data.Length;
        double outputWidth = scale * n;
        double start = o.Roi?[axis] ?? 0, end = o.Roi?[rank + axis] ?? 1;
        double xOri = o.Transform switch
        {
            "align_corners" => outputWidth == 1 ? 0 : x * (n - 1.0) / (outputWidth - 1),
            "asymmetric" => x / scale,
            "tf_crop_and_resize" => (outputWidth == 1 ? (end - start) * (n - 1) / 2 : x * (end - start) * (n - 1) / (outputWidth - 1)) + start * (n - 1),
            "pytorch_half_pixel" => outputWidth == 1 ? -0.5 : (x + 0.5) / scale - 0.5,
            "half_pixel" => (x + 0.5) / scale - 0.5,
            "tf_half_pixel_for_nn" => (x + 0.5) / scale,
            "half_pixel_symmetric" => n / 2.0 * (1 - outputSize / outputWidth) + (x + 0.5) / scale - 0.5,
            _ => throw new ArgumentException(o.Transform),
        };
        if (o.Transform == "tf_crop_and_resize" && (xOri < 0 || xOri > n - 1)) return o.Extrapolation;
        double ratio = xOri == Math.Floor(xOri) ? 1 : xOri - Math.Floor(xOri);
        double[] coeffs = o.Mode switch
        {
            "nearest" => Nearest(ratio, o.Nearest),
            "linear" => [1 - ratio, ratio],
            "cubic" => Cubic(ratio, o.CubicA),
            _ => throw new ArgumentException(o.Mode),
        };
        int taps = coeffs.Length, pad = (taps + 1) / 2;
        var padded = new double[n + 2 * pad];
        for (int i = 0; i < padded.Length; i++) padded[i] = data[Math.Clamp(i - pad, 0, n - 1)];
        double center = xOri + pad;
        var idx = Enumerable.Range(0, padded.Length).OrderBy(i => Math.Abs(center - i)).ThenBy(i => i).Take(taps).Order().ToArray();
        if (o.ExcludeOutside)
        {
            for (int t = 0; t < taps; t++) if (idx[t] - pad < 0 || idx[t] - pad >= n) coeffs[t] = 0;
            double sum = coeffs.Sum();
            for (int t = 0; t < taps; t++) coeffs[t] /= sum;
        }
        double r = 0;
        for (int t = 0; t < taps; t++) r += coeffs[t] * padded[idx[t]];
        return r;
    }

    private static double[] Nearest(double ratio, string mode)
    {
        if (ratio == 1) return [0, 1];
        return mode switch
        {
            "round_prefer_floor" => [ratio <= 0.5 ? 1 : 0, ratio > 0.5 ? 1 : 0],
            "round_prefer_ceil" => [ratio < 0.5 ? 1 : 0, ratio >= 0.5 ? 1 : 0],
            "floor" => [1, 0],
            "ceil" => [0, 1],
            _ => throw new ArgumentException(mode),
        };
    }

    private static double[] Cubic(double r, double a) =>
    [
        ((a * (r + 1) - 5 * a) * (r + 1) + 8 * a) * (r + 1) - 4 * a,
        ((a + 2) * r - (a + 3)) * r * r + 1,
        ((a + 2) * (1 - r) - (a + 3)) * (1 - r) * (1 - r) + 1,
        ((a * (1 - r + 1) - 5 * a) * (1 - r + 1) + 8 * a) * (1 - r + 1) - 4 * a,
    ];
}
