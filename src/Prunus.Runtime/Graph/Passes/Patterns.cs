using Prunus.Tensors;

namespace Prunus.Graph.Passes;

/// <summary>Small matchers shared by the pattern fusions.</summary>
internal static class Patterns
{
    /// <summary>Whether <paramref name="node"/> is the default-domain op <paramref name="opType"/> with one output.</summary>
    public static bool Is(Node? node, string opType) =>
        node is not null && node.OpType == opType && node.Domain is "" or "ai.onnx" && node.Outputs.Count == 1;

    /// <summary>For a two-input node reading <paramref name="value"/>, its other input; null if it does not read it.</summary>
    public static string? Other(Node node, string value)
    {
        if (node.Inputs.Count != 2) return null;
        if (node.Inputs[0] == value) return node.Inputs[1];
        if (node.Inputs[1] == value) return node.Inputs[0];
        return null;
    }

    /// <summary>The value of a one-element float or integer constant, or null.</summary>
    public static double? Scalar(ShapeFacts facts, string? value) =>
        value is not null && facts.Constant(value) is { Length: 1, Type: DataType.Float32 or DataType.Float64 or DataType.Int64 or DataType.Int32 } t
            ? t.GetAsDouble(0) : null;

    /// <summary>Whether <paramref name="value"/> is a scalar constant equal to <paramref name="target"/> to float precision.</summary>
    public static bool IsScalar(ShapeFacts facts, string? value, double target) =>
        Scalar(facts, value) is { } v && Math.Abs(v - target) <= 1e-6 * Math.Abs(target);

    /// <summary>
    /// For a commutative two-input node (Add, Mul) with one scalar-constant operand close to <paramref name="target"/>,
    /// the other operand; null otherwise.
    /// </summary>
    public static string? WithScalar(ShapeFacts facts, Node node, double target)
    {
        if (node.Inputs.Count != 2) return null;
        if (IsScalar(facts, node.Inputs[1], target)) return node.Inputs[0];
        if (IsScalar(facts, node.Inputs[0], target)) return node.Inputs[1];
        return null;
    }
}
