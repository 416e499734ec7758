using Prunus.Pruning;

namespace Prunus.Quantization.WeightOnly;

/// <summary>How weight-only quantization rounds each weight to its group's levels.</summary>
public enum WeightRounding
{
    /// <summary>Round to nearest: each weight independently (no data needed).</summary>
    Rtn,
    /// <summary>GPTQ: columns in order, each one's error compensated by the later ones through H^-1 (needs calibration data).</summary>
    Gptq,
}

/// <summary>Settings of <see cref="WeightOnlyQuantizer"/>.</summary>
public sealed record WeightOnlyOptions
{
    /// <summary>Bits per weight: 8 (int8/uint8) or 4 (int4/uint4, packed two per byte in files).</summary>
    public int Bits { get; init; } = 4;
    /// <summary>
    /// Consecutive weights along the reduction that share a scale (32 and 128 are usual); 0 gives one group per output
    /// channel (per-channel quantization). A size that does not divide the reduction leaves a shorter last group.
    /// </summary>
    public int GroupSize { get; init; } = 32;
    /// <summary>True: signed levels symmetric about 0 (zero point 0). False: unsigned levels with a zero point per group.</summary>
    public bool Symmetric { get; init; } = true;
    /// <summary>Round to nearest, or GPTQ.</summary>
    public WeightRounding Rounding { get; init; } = WeightRounding.Rtn;
    /// <summary>GPTQ: added to H's diagonal as a fraction of its mean diagonal (the paper's 1%), for a stable inverse.</summary>
    public double Dampening { get; init; } = 0.01;
    /// <summary>GPTQ: visit columns by decreasing input energy H_jj (the paper's act-order heuristic).</summary>
    public bool ActOrder { get; init; }
    /// <summary>
    /// GPTQ: true measures each layer's X^T X on the model whose earlier layers are already quantized, as the paper
    /// does; false takes every X^T X from the float model in one pass (faster).
    /// </summary>
    public bool Sequential { get; init; } = true;
    /// <summary>GPTQ: calibration images, batches, threads and the Hessian size limit.</summary>
    public CalibrationOptions Calibration { get; init; } = new();
    /// <summary>Names of layers (nodes or weights) to keep in float.</summary>
    public IReadOnlyCollection<string> Ignore { get; init; } = [];

    /// <summary>The integer type of the weights: int4/int8 when symmetric, uint4/uint8 otherwise.</summary>
    public QuantizedType Type => (Bits, Symmetric) switch
    {
        (4, true) => QuantizedType.Int4,
        (4, false) => QuantizedType.UInt4,
        (_, true) => QuantizedType.Int8,
        _ => QuantizedType.UInt8,
    };

    /// <summary>The levels used: symmetric signed types use [-max, max], so that zero sits in the middle.</summary>
    public QuantizationSpec Spec => new(Type, Symmetric, ScaleGranularity.PerChannel);

    /// <summary>Throws with a message naming the bad value.</summary>
    public void Validate()
    {
        if (Bits is not (4 or 8)) throw new ArgumentOutOfRangeException(nameof(Bits), Bits, "weight-only quantization stores 4 or 8 bits per weight");
        if (GroupSize < 0) throw new ArgumentOutOfRangeException(nameof(GroupSize), GroupSize, "the group size must be positive (or 0 for one group per output channel)");
        if (Dampening < 0 || !double.IsFinite(Dampening)) throw new ArgumentOutOfRangeException(nameof(Dampening), Dampening, "dampening must be a finite non-negative fraction");
        ArgumentNullException.ThrowIfNull(Calibration);
        ArgumentNullException.ThrowIfNull(Ignore);
        Calibration.Validate();
    }
}
