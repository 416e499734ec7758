namespace Prunus.Kernels;

/// <summary>How an output coordinate along one axis maps to a coordinate of the input (ONNX Resize's coordinate_transformation_mode).</summary>
public enum CoordinateTransform
{
    /// <summary>x_in = (x + 0.5) / scale − 0.5.</summary>
    HalfPixel,
    /// <summary>As <see cref="HalfPixel"/>, but 0 when the output length is 1.</summary>
    PytorchHalfPixel,
    /// <summary>x_in = x · (in − 1) / (out − 1), 0 when the output length is 1.</summary>
    AlignCorners,
    /// <summary>x_in = x / scale.</summary>
    Asymmetric,
    /// <summary>x_in = (x + 0.5) / scale (ONNX's tf_half_pixel_for_nn).</summary>
    TfHalfPixelForNearest,
    /// <summary>x_in = start·(in − 1) + x·(end − start)·(in − 1)/(out − 1) over a region of interest; outside [0, in − 1] gives the extrapolation value.</summary>
    TfCropAndResize,
    /// <summary>Half pixel with the output centred on the input when the output length was rounded (opset 19).</summary>
    HalfPixelSymmetric,
}

/// <summary>Which input element nearest-neighbour sampling picks for a fractional coordinate.</summary>
public enum NearestRounding
{
    /// <summary>Round, halves down.</summary>
    RoundPreferFloor,
    /// <summary>Round, halves up.</summary>
    RoundPreferCeil,
    /// <summary>Floor.</summary>
    Floor,
    /// <summary>Ceil.</summary>
    Ceil,
    /// <summary>The rule of Upsample and Resize-10: floor when enlarging, ceil when shrinking.</summary>
    Simple,
}

/// <summary>The interpolation filter.</summary>
public enum InterpolationFilter
{
    /// <summary>One tap: the nearest input element.</summary>
    Nearest,
    /// <summary>Two taps with weights 1 − f and f.</summary>
    Linear,
    /// <summary>Four taps of Keys' cubic convolution kernel with coefficient A.</summary>
    Cubic,
}

/// <summary>
/// The sampling of one axis: for each output index, <see cref="Taps"/> input indices (clamped into the input, as edge
/// padding does) with weights, and whether the output index falls outside the region (then the extrapolation value).
/// </summary>
public sealed class AxisSampling
{
    /// <summary>Input length of the axis.</summary>
    public int InputSize { get; }
    /// <summary>Output length of the axis.</summary>
    public int OutputSize { get; }
    /// <summary>Taps per output index.</summary>
    public int Taps { get; }
    /// <summary>Input index of tap t of output o at [o * Taps + t].</summary>
    public int[] Index { get; }
    /// <summary>Weight of tap t of output o at [o * Taps + t].</summary>
    public float[] Weight { get; }
    /// <summary>Per output index: true when it samples outside the input (tf_crop_and_resize); null when none does.</summary>
    public bool[]? Outside { get; }

    public AxisSampling(int inputSize, int outputSize, int taps, int[] index, float[] weight, bool[]? outside)
    {
        if (index.Length != outputSize * taps || weight.Length != index.Length)
            throw new ArgumentException($"an axis of {outputSize} outputs with {taps} taps needs {outputSize * taps} indices and weights");
        if (outside is not null && outside.Length != outputSize) throw new ArgumentException("one outside flag per output index is needed");
        foreach (int i in index)
            if (i < 0 || i >= inputSize) throw new ArgumentException($"tap index {i} is outside the input axis of {inputSize}");
        InputSize = inputSize;
        OutputSize = outputSize;
        Taps = taps;
        Index = index;
        Weight = weight;
        Outside = outside is not null && outside.Contains(true) ? outside : null;
    }

    /// <summary>True when the axis is copied unchanged (one tap, weight 1, index = output index).</summary>
    public bool IsIdentity
    {
        get
        {
            if (InputSize != OutputSize || Taps != 1 || Outside is not null) return false;
            for (int o = 0; o < OutputSize; o++)
                if (Index[o] != o || Weight[o] != 1f) return false;
            return true;
        }
    }
}

/// <summary>
/// Separable resampling of a dense row-major tensor (ONNX Resize and Upsample): each output element is the weighted sum,
/// over the product of the axes' taps, of input elements; both directions are linear in the input, so the gradient is
/// the adjoint scatter. <see cref="Build"/> makes the per-axis tables from the ONNX attributes.
/// </summary>
public static class Interpolation
{
    /// <summary>
    /// The input coordinate of output index <paramref name="x"/>. <paramref name="outputLength"/> is scale·in (the
    /// ONNX reference's length_resized, not rounded), <paramref name="outputSize"/> the integer output length.
    /// </summary>
    public static double SourceCoordinate(CoordinateTransform mode, int x, double scale, int inputSize, double outputLength,
        int outputSize, double roiStart = 0, double roiEnd = 1) => mode switch
    {
        CoordinateTransform.HalfPixel => (x + 0.5) / scale - 0.5,
        CoordinateTransform.PytorchHalfPixel => outputLength > 1 ? (x + 0.5) / scale - 0.5 : 0,
        CoordinateTransform.AlignCorners => outputLength == 1 ? 0 : x * (double)(inputSize - 1) / (outputLength - 1),
        CoordinateTransform.Asymmetric => x / scale,
        CoordinateTransform.TfHalfPixelForNearest => (x + 0.5) / scale,
        CoordinateTransform.TfCropAndResize => outputLength > 1
            ? roiStart * (inputSize - 1) + x * (roiEnd - roiStart) * (inputSize - 1) / (outputLength - 1)
            : 0.5 * (roiStart + roiEnd) * (inputSize - 1),
        CoordinateTransform.HalfPixelSymmetric =>
            inputSize / 2.0 * (1 - outputSize / outputLength) + (x + 0.5) / scale - 0.5,
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    /// <summary>The input index nearest-neighbour sampling takes for coordinate <paramref name="c"/> (not yet clamped).</summary>
    public static long NearestIndex(double c, NearestRounding rounding, double scale) => rounding switch
    {
        NearestRounding.RoundPreferFloor => (long)Math.Ceiling(c - 0.5),
        NearestRounding.RoundPreferCeil => (long)Math.Floor(c + 0.5),
        NearestRounding.Floor => (long)Math.Floor(c),
        NearestRounding.Ceil => (long)Math.Ceiling(c),
        NearestRounding.Simple => scale < 1 ? (long)Math.Ceiling(c) : (long)Math.Floor(c),
        _ => throw new ArgumentOutOfRangeException(nameof(rounding), rounding, null),
    };

    /// <summary>Keys' cubic convolution kernel at distance <paramref name="d"/> with coefficient <paramref name="a"/>.</summary>
    public static double Cubic(double d, double a)
    {
        d = Math.Abs(d);
        if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
        if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
        return 0;
    }

    /// <summary>
    /// The sampling table of one axis. <paramref name="scale"/> is the axis scale (output over input), and
    /// <paramref name="outputLength"/> the unrounded scale·in the coordinate formulas use.
    /// </summary>
    public static AxisSampling Build(int inputSize, int outputSize, double scale, double outputLength, InterpolationFilter filter,
        CoordinateTransform transform, NearestRounding rounding, double cubicA = -0.75, bool excludeOutside = false,
        double roiStart = 0, double roiEnd = 1)
    {
        if (inputSize < 1 && outputSize > 0) throw new ArgumentException("an empty axis cannot be resized to a nonzero length");
        int taps = filter switch { InterpolationFilter.Nearest => 1, InterpolationFilter.Linear => 2, _ => 4 };
        var index = new int[outputSize * taps];
        var weight = new float[outputSize * taps];
        var outside = transform == CoordinateTransform.TfCropAndResize ? new bool[outputSize] : null;
        Span<long> raw = stackalloc long[4];
        Span<double> w = stackalloc double[4];
        for (int o = 0; o < outputSize; o++)
        {
            double c = SourceCoordinate(transform, o, scale, inputSize, outputLength, outputSize, roiStart, roiEnd);
            if (outside is not null && (c < 0 || c > inputSize - 1))
            {
                outside[o] = true;
                c = 0; // any in-range tap: the value is replaced by the extrapolation value
            }
            double floor = Math.Floor(c), f = c - floor;
            long i0 = (long)floor;
            switch (filter)
            {
                case InterpolationFilter.Nearest:
                    raw[0] = NearestIndex(c, rounding, scale); w[0] = 1;
                    break;
                case InterpolationFilter.Linear:
                    raw[0] = i0; w[0] = 1 - f;
                    raw[1] = i0 + 1; w[1] = f;
                    break;
                default:
                    for (int t = 0; t < 4; t++)
                    {
                        raw[t] = i0 - 1 + t;
                        w[t] = Cubic(f + 1 - t, cubicA);
                    }
                    if (excludeOutside)
                    {
                        double sum = 0;
                        for (int t = 0; t < 4; t++)
                        {
                            if (raw[t] < 0 || raw[t] >= inputSize) w[t] = 0;
                            sum += w[t];
                        }
                        if (sum != 0) for (int t = 0; t < 4; t++) w[t] /= sum;
                    }
                    break;
            }
            for (int t = 0; t < taps; t++)
            {
                index[o * taps + t] = (int)Math.Clamp(raw[t], 0, inputSize - 1);
                weight[o * taps + t] = (float)w[t];
            }
        }
        return Compact(new AxisSampling(inputSize, outputSize, taps, index, weight, outside));
    }

    /// <summary>Drops taps of weight zero when every output keeps at most one (linear at integer coordinates is nearest).</summary>
    private static AxisSampling Compact(AxisSampling s)
    {
        if (s.Taps == 1) return s;
        var index = new int[s.OutputSize];
        var weight = new float[s.OutputSize];
        for (int o = 0; o < s.OutputSize; o++)
        {
            int kept = -1;
            for (int t = 0; t < s.Taps; t++)
            {
                if (s.Weight[o * s.Taps + t] == 0) continue;
                if (kept >= 0) return s;
                kept = o * s.Taps + t;
            }
            // All-zero weights (possible with exclude_outside on a one-element axis) keep a zero tap.
            index[o] = kept >= 0 ? s.Index[kept] : s.Index[o * s.Taps];
            weight[o] = kept >= 0 ? s.Weight[kept] : 0;
        }
        return new AxisSampling(s.InputSize, s.OutputSize, 1, index, weight, s.Outside);
    }
}

/// <summary>
/// A resampling of a tensor of fixed shape: leading axes that are copied unchanged fold into an outer block count,
/// the rest are sampled through their <see cref="AxisSampling"/> tables. Forward and backward work on a range of outer
/// blocks (disjoint in input and output), so they parallelize over blocks. The common case of two sampled axes has its
/// own loop; the general loop walks any number of axes.
/// </summary>
public sealed class Resampler
{
    private readonly AxisSampling[] _axes;
    private readonly int[] _inStrides;
    private readonly int[] _outShape;
    private readonly float _extrapolation;

    /// <summary>Number of outer blocks (product of the leading unchanged axes).</summary>
    public int Blocks { get; }
    /// <summary>Input elements per block.</summary>
    public int InputBlock { get; }
    /// <summary>Output elements per block.</summary>
    public int OutputBlock { get; }
    /// <summary>Number of sampled axes (after the folded leading ones).</summary>
    public int SampledAxes => _axes.Length;

    /// <summary>A resampler for <paramref name="axes"/>, one table per input axis (outermost first).</summary>
    public Resampler(IReadOnlyList<AxisSampling> axes, float extrapolation)
    {
        int lead = 0;
        while (lead < axes.Count && axes[lead].IsIdentity) lead++;
        Blocks = 1;
        for (int i = 0; i < lead; i++) Blocks = checked(Blocks * axes[i].InputSize);
        _axes = axes.Skip(lead).ToArray();
        _outShape = _axes.Select(a => a.OutputSize).ToArray();
        _inStrides = new int[_axes.Length];
        int stride = 1;
        for (int i = _axes.Length - 1; i >= 0; i--)
        {
            _inStrides[i] = stride;
            stride = checked(stride * _axes[i].InputSize);
        }
        InputBlock = stride;
        OutputBlock = _outShape.Aggregate(1, (a, b) => checked(a * b));
        _extrapolation = extrapolation;
    }

    /// <summary>Writes output blocks [start, start + count) from the input.</summary>
    public void Forward(ReadOnlySpan<float> x, Span<float> y, int start, int count)
    {
        if (_axes.Length == 0) { x.Slice(start, count).CopyTo(y.Slice(start, count)); return; }
        for (int b = start; b < start + count; b++)
        {
            var xb = x.Slice(b * InputBlock, InputBlock);
            var yb = y.Slice(b * OutputBlock, OutputBlock);
            if (_axes.Length == 2) Forward2(xb, yb);
            else ForwardAny(xb, yb);
        }
    }

    /// <summary>Adds the gradient of input blocks [start, start + count) from the output gradient.</summary>
    public void Backward(ReadOnlySpan<float> dy, Span<float> dx, int start, int count)
    {
        if (_axes.Length == 0) { Elementwise.AddInPlace(dx.Slice(start, count), dy.Slice(start, count)); return; }
        for (int b = start; b < start + count; b++)
        {
            var dyb = dy.Slice(b * OutputBlock, OutputBlock);
            var dxb = dx.Slice(b * InputBlock, InputBlock);
            if (_axes.Length == 2) Backward2(dyb, dxb);
            else BackwardAny(dyb, dxb);
        }
    }

    // Two sampled axes [H, W], separably: for each output row, first blend its input rows into one row
    // (r[ix] = Σ_ty wy·x[iy, ix], vectorized over the input width), then sample that row along W
    // (y[oy, ox] = Σ_tx wx·r[ix]). That is ty·inW + tx·outW multiply-adds per output row instead of ty·tx·outW.
    private void Forward2(ReadOnlySpan<float> x, Span<float> y)
    {
        var ay = _axes[0];
        var ax = _axes[1];
        int inW = ax.InputSize, outW = ax.OutputSize, ty = ay.Taps, tx = ax.Taps;
        float[]? rented = inW > 2048 ? System.Buffers.ArrayPool<float>.Shared.Rent(inW) : null;
        Span<float> blended = rented is null ? stackalloc float[inW] : rented.AsSpan(0, inW);
        var xIndex = ax.Index;
        var xWeight = ax.Weight;
        for (int oy = 0; oy < ay.OutputSize; oy++)
        {
            var row = y.Slice(oy * outW, outW);
            if (ay.Outside is { } oyOut && oyOut[oy]) { row.Fill(_extrapolation); continue; }
            var source = x.Slice(ay.Index[oy * ty] * inW, inW);
            float w0 = ay.Weight[oy * ty];
            if (ty == 1 && w0 == 1) source.CopyTo(blended);
            else
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(source, w0, blended);
                for (int a = 1; a < ty; a++)
                    System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(x.Slice(ay.Index[oy * ty + a] * inW, inW), ay.Weight[oy * ty + a], blended, blended);
            }
            if (tx == 1)
                for (int ox = 0; ox < outW; ox++) row[ox] = xWeight[ox] * blended[xIndex[ox]];
            else if (tx == 2)
                for (int ox = 0, t = 0; ox < outW; ox++, t += 2) row[ox] = xWeight[t] * blended[xIndex[t]] + xWeight[t + 1] * blended[xIndex[t + 1]];
            else
                for (int ox = 0; ox < outW; ox++)
                {
                    float sum = 0;
                    for (int c = 0; c < tx; c++) sum += xWeight[ox * tx + c] * blended[xIndex[ox * tx + c]];
                    row[ox] = sum;
                }
            if (ax.Outside is { } oxOut)
                for (int ox = 0; ox < outW; ox++) if (oxOut[ox]) row[ox] = _extrapolation;
        }
        if (rented is not null) System.Buffers.ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>Scalar reference of the two-axis forward pass: y[oy, ox] = Σ_ty Σ_tx wy·wx·x[iy, ix], term by term.</summary>
    internal void Forward2Reference(ReadOnlySpan<float> x, Span<float> y)
    {
        var ay = _axes[0];
        var ax = _axes[1];
        int inW = ax.InputSize, outW = ax.OutputSize, ty = ay.Taps, tx = ax.Taps;
        for (int oy = 0; oy < ay.OutputSize; oy++)
        {
            var row = y.Slice(oy * outW, outW);
            if (ay.Outside is { } oyOut && oyOut[oy]) { row.Fill(_extrapolation); continue; }
            for (int ox = 0; ox < outW; ox++)
            {
                if (ax.Outside is { } oxOut && oxOut[ox]) { row[ox] = _extrapolation; continue; }
                float s = 0;
                for (int a = 0; a < ty; a++)
                {
                    int rowOffset = ay.Index[oy * ty + a] * inW;
                    float wy = ay.Weight[oy * ty + a];
                    for (int c = 0; c < tx; c++)
                        s += wy * ax.Weight[ox * tx + c] * x[rowOffset + ax.Index[ox * tx + c]];
                }
                row[ox] = s;
            }
        }
    }

    private void Backward2(ReadOnlySpan<float> dy, Span<float> dx)
    {
        var ay = _axes[0];
        var ax = _axes[1];
        int inW = ax.InputSize, outW = ax.OutputSize, ty = ay.Taps, tx = ax.Taps;
        for (int oy = 0; oy < ay.OutputSize; oy++)
        {
            if (ay.Outside is { } oyOut && oyOut[oy]) continue;
            for (int ox = 0; ox < outW; ox++)
            {
                if (ax.Outside is { } oxOut && oxOut[ox]) continue;
                float g = dy[oy * outW + ox];
                for (int a = 0; a < ty; a++)
                {
                    int rowOffset = ay.Index[oy * ty + a] * inW;
                    float gy = g * ay.Weight[oy * ty + a];
                    for (int c = 0; c < tx; c++)
                        dx[rowOffset + ax.Index[ox * tx + c]] += gy * ax.Weight[ox * tx + c];
                }
            }
        }
    }

    // Any number of sampled axes: walk output coordinates with an odometer; each element recurses over the axes' taps.
    private void ForwardAny(ReadOnlySpan<float> x, Span<float> y)
    {
        Span<int> coord = stackalloc int[_axes.Length];
        for (int o = 0; o < y.Length; o++)
        {
            y[o] = IsOutside(coord) ? _extrapolation : Gather(x, coord, 0, 0);
            Advance(coord);
        }
    }

    private void BackwardAny(ReadOnlySpan<float> dy, Span<float> dx)
    {
        Span<int> coord = stackalloc int[_axes.Length];
        for (int o = 0; o < dy.Length; o++)
        {
            if (!IsOutside(coord)) Scatter(dx, coord, 0, 0, dy[o]);
            Advance(coord);
        }
    }

    private float Gather(ReadOnlySpan<float> x, ReadOnlySpan<int> coord, int axis, int offset)
    {
        if (axis == _axes.Length) return x[offset];
        var a = _axes[axis];
        int first = coord[axis] * a.Taps;
        float s = 0;
        for (int t = 0; t < a.Taps; t++)
            s += a.Weight[first + t] * Gather(x, coord, axis + 1, offset + a.Index[first + t] * _inStrides[axis]);
        return s;
    }

    private void Scatter(Span<float> dx, ReadOnlySpan<int> coord, int axis, int offset, float g)
    {
        if (axis == _axes.Length) { dx[offset] += g; return; }
        var a = _axes[axis];
        int first = coord[axis] * a.Taps;
        for (int t = 0; t < a.Taps; t++)
            Scatter(dx, coord, axis + 1, offset + a.Index[first + t] * _inStrides[axis], g * a.Weight[first + t]);
    }

    private bool IsOutside(ReadOnlySpan<int> coord)
    {
        for (int i = 0; i < _axes.Length; i++)
            if (_axes[i].Outside is { } o && o[coord[i]]) return true;
        return false;
    }

    private void Advance(Span<int> coord)
    {
        for (int i = coord.Length - 1; i >= 0; i--)
        {
            if (++coord[i] < _outShape[i]) return;
            coord[i] = 0;
        }
    }
}
