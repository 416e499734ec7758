namespace Prunus.Graph.Ops;

/// <summary>The operators Prunus can plan, by ONNX op type in the default domain.</summary>
public static partial class OpRegistry
{
    private static readonly Dictionary<string, Operator> Ops = Build();

    private static Dictionary<string, Operator> Build()
    {
        var d = new Dictionary<string, Operator>(StringComparer.Ordinal);
        foreach (var op in All()) d.Add(op.OpType, op);
        return d;
    }

    /// <summary>The operator for <paramref name="opType"/> in <paramref name="domain"/>, or null if unsupported.</summary>
    public static Operator? Find(string domain, string opType) =>
        domain is "" or "ai.onnx" && Ops.TryGetValue(opType, out var op) ? op : null;

    /// <summary>All supported op types, sorted.</summary>
    public static IReadOnlyList<string> Supported => Ops.Keys.Order(StringComparer.Ordinal).ToList();
}
