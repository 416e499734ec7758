namespace Prunus.Quantization.Observers;

/// <summary>How activation ranges are calibrated: which <see cref="Observer"/> watches each tensor.</summary>
public enum CalibrationMethod
{
    /// <summary>Exact minimum and maximum (<see cref="MinMaxObserver"/>).</summary>
    MinMax,
    /// <summary>Moving averages of each batch's extremes (<see cref="MovingAverageMinMaxObserver"/>).</summary>
    MovingAverage,
    /// <summary>A percentile of the values (<see cref="PercentileObserver"/>).</summary>
    Percentile,
    /// <summary>KL-divergence threshold (<see cref="EntropyObserver"/>).</summary>
    Entropy,
    /// <summary>Least expected squared error (<see cref="MseObserver"/>).</summary>
    Mse,
}

/// <summary>Names and factories of <see cref="CalibrationMethod"/> values.</summary>
public static class CalibrationMethods
{
    /// <summary>The names <see cref="Parse"/> accepts, in the order of the enum.</summary>
    public static IReadOnlyList<string> Names { get; } = ["minmax", "moving-average", "percentile", "entropy", "mse"];

    /// <summary>The command-line name of <paramref name="method"/>.</summary>
    public static string Name(this CalibrationMethod method) => Names[(int)method];

    /// <summary>Parses a name of <see cref="Names"/>; throws with the list otherwise.</summary>
    public static CalibrationMethod Parse(string text)
    {
        int i = Names.ToList().IndexOf(text.Trim().ToLowerInvariant());
        return i >= 0 ? (CalibrationMethod)i : throw new ArgumentException($"unknown calibration method '{text}'; choose one of: {string.Join(", ", Names)}");
    }

    /// <summary>A fresh observer of <paramref name="method"/> (percentile: <paramref name="percentile"/> percent kept).</summary>
    public static Observer Create(this CalibrationMethod method, double percentile = 99.99) => method switch
    {
        CalibrationMethod.MinMax => new MinMaxObserver(),
        CalibrationMethod.MovingAverage => new MovingAverageMinMaxObserver(),
        CalibrationMethod.Percentile => new PercentileObserver(percentile),
        CalibrationMethod.Entropy => new EntropyObserver(),
        CalibrationMethod.Mse => new MseObserver(),
        _ => throw new ArgumentOutOfRangeException(nameof(method), method, "unknown calibration method"),
    };
}
