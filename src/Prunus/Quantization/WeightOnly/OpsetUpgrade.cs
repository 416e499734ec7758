using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Quantization.WeightOnly;

/// <summary>
/// Raises a model's default-domain opset to 21, which DequantizeLinear with <c>block_size</c> and the 4-bit types
/// need, rewriting the ops whose form changed on the way: the reductions of opset 18 take their axes as an input
/// instead of an attribute, and GridSample's interpolation modes were renamed in opset 20. Ops whose meaning changed
/// in a way that cannot be rewritten locally (DFT in 20, GroupNormalization in 21) are refused.
/// </summary>
internal static class OpsetUpgrade
{
    /// <summary>The opset the weight-only form needs.</summary>
    public const long Target = 21;

    /// <summary>The oldest opset the upgrade starts from (older ones changed Split, Squeeze and more).</summary>
    public const long Oldest = 13;

    private static readonly HashSet<string> AxesBecameInput = new(StringComparer.Ordinal)
    {
        "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare",
    };

    /// <summary>Upgrades <paramref name="graph"/> in place (nothing to do at opset 21 or later).</summary>
    public static void To21(ModelGraph graph)
    {
        long from = graph.Metadata.Opset;
        if (from >= Target) return;
        if (from < Oldest)
            throw new ModelException($"model '{graph.Name}' uses opset {from}; weight-only quantization writes opset {Target} and upgrades from opset {Oldest} on: re-export the model at opset {Oldest} or newer");
        Rewrite(graph, from);
        graph.Metadata.Opsets.Remove("ai.onnx");
        graph.Metadata.Opsets[""] = Target;
        graph.Metadata.IrVersion = Math.Max(graph.Metadata.IrVersion, 10); // opset 21 came with IR version 10
    }

    private static void Rewrite(ModelGraph graph, long from)
    {
        foreach (var node in graph.Nodes)
        {
            foreach (var a in node.Attributes.Values)
            {
                if (a.Graph is { } g) Rewrite(g, from);
                foreach (var sg in a.GraphList) Rewrite(sg, from);
            }
            if (node.Domain is not ("" or "ai.onnx")) continue;
            if (from < 18 && AxesBecameInput.Contains(node.OpType) && node.Attributes.Remove("axes", out var axes))
            {
                var name = Unique(graph, $"{(node.Name.Length > 0 ? node.Name : node.OpType)}_axes");
                graph.Initializers[name] = Tensor.From(axes.Ints.ToArray(), axes.Ints.Length);
                while (node.Inputs.Count < 2) node.Inputs.Add("");
                node.Inputs[1] = name;
            }
            else if (from < 20 && node.OpType == "GridSample" && node.Attributes.TryGetValue("mode", out var mode))
            {
                var renamed = mode.String switch { "bilinear" => "linear", "bicubic" => "cubic", var m => m };
                node.Attributes["mode"] = AttributeValue.Of(renamed);
            }
            else if (from < 20 && node.OpType == "DFT" || from < 21 && node.OpType == "GroupNormalization")
                throw new ModelException($"{node.OpType} node '{node.Name}' changed meaning before opset {Target}; the model cannot be upgraded for weight-only quantization");
        }
    }

    private static string Unique(ModelGraph graph, string stem)
    {
        var used = new HashSet<string>(graph.Initializers.Keys, StringComparer.Ordinal);
        used.UnionWith(graph.Nodes.SelectMany(n => n.Outputs));
        used.UnionWith(graph.Inputs.Select(i => i.Name));
        if (!used.Contains(stem)) return stem;
        for (int i = 1; ; i++)
            if (!used.Contains($"{stem}_{i}")) return $"{stem}_{i}";
    }
}
