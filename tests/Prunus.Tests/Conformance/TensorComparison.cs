using System.Globalization;
using Prunus.Tensors;

namespace Prunus.Tests.Conformance;

/// <summary>
/// Compares an output with its expected value as the ONNX backend tests do: same element type and shape, floating
/// values within |actual − expected| ≤ atol + rtol·|expected| (NaN equals NaN, infinities must match exactly),
/// integers and booleans exactly.
/// </summary>
public static class TensorComparison
{
    /// <summary>Relative tolerance of the ONNX backend test runner.</summary>
    public const double Rtol = 1e-3;
    /// <summary>Absolute tolerance of the ONNX backend test runner.</summary>
    public const double Atol = 1e-7;

    /// <summary>Null when <paramref name="actual"/> matches; otherwise what differs, naming <paramref name="what"/>.</summary>
    public static string? Difference(string what, Tensor expected, Tensor actual, double rtol = Rtol, double atol = Atol)
    {
        if (expected.Type != actual.Type) return $"{what}: element type {actual.Type}, expected {expected.Type}";
        if (!expected.Shape.AsSpan().SequenceEqual(actual.Shape))
            return $"{what}: shape {ShapeMath.Format(actual.Shape)}, expected {ShapeMath.Format(expected.Shape)}";
        int mismatches = 0, first = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            if (Equal(expected, actual, i, rtol, atol)) continue;
            if (mismatches++ == 0) first = i;
        }
        if (mismatches == 0) return null;
        return string.Create(CultureInfo.InvariantCulture,
            $"{what}: {mismatches} of {expected.Length} values differ; first at flat index {first}: {Show(actual, first)}, expected {Show(expected, first)}");
    }

    private static bool Equal(Tensor expected, Tensor actual, int i, double rtol, double atol)
    {
        switch (expected.Type)
        {
            case DataType.Float32:
            case DataType.Float64:
                double e = expected.GetAsDouble(i), a = actual.GetAsDouble(i);
                if (double.IsNaN(e) || double.IsNaN(a)) return double.IsNaN(e) && double.IsNaN(a);
                if (double.IsInfinity(e) || double.IsInfinity(a)) return e == a;
                return Math.Abs(a - e) <= atol + rtol * Math.Abs(e);
            case DataType.Int64:
                return expected.Span<long>()[i] == actual.Span<long>()[i];
            default:
                return expected.GetAsDouble(i) == actual.GetAsDouble(i);
        }
    }

    private static string Show(Tensor t, int i) => t.Type switch
    {
        DataType.Int64 => t.Span<long>()[i].ToString(CultureInfo.InvariantCulture),
        DataType.Bool => t.Span<bool>()[i] ? "true" : "false",
        _ => t.GetAsDouble(i).ToString("G9", CultureInfo.InvariantCulture),
    };
}
