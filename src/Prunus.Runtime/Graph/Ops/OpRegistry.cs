namespace Prunus.Graph.Ops;

/// <summary>The operators Prunus can plan, by domain and op type ("" and "ai.onnx" both name the ONNX default domain).</summary>
public static partial class OpRegistry
{
    private static readonly Dictionary<(string Domain, string OpType), Operator> Ops = Build();

    private static Dictionary<(string, string), Operator> Build()
    {
        var d = new Dictionary<(string, string), Operator>();
        foreach (var op in All()) d.Add((op.Domain, op.OpType), op);
        return d;
    }

    /// <summary>The operator for <paramref name="opType"/> in <paramref name="domain"/>, or null if unsupported.</summary>
    public static Operator? Find(string domain, string opType) =>
        Ops.TryGetValue((domain == "ai.onnx" ? "" : domain, opType), out var op) ? op : null;

    /// <summary>All supported op types of the ONNX default domain, sorted.</summary>
    public static IReadOnlyList<string> Supported => Ops.Keys.Where(k => k.Domain.Length == 0).Select(k => k.OpType).Order(StringComparer.Ordinal).ToList();
}
