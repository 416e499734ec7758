using Prunus.Graph.Ops;
using Prunus.Tensors;

namespace Prunus.Graph.Passes;

/// <summary>
/// Fuses the decomposed Gelu of exporters into one Gelu node: x·0.5·(1 + Erf(x/√2)) (also with x·(1/√2)), and the tanh
/// approximation 0.5·x·(1 + Tanh(√(2/π)·(x + 0.044715·x³))) (x³ as Pow(x, 3) or x·x·x) as Gelu with approximate="tanh",
/// in any order of the final products. Constants must match to float precision, so the fusion is exact.
/// </summary>
/// <remarks>
/// Gelu entered the ONNX default domain at opset 20. For models of an older opset the fused node goes to domain
/// ai.prunus when <c>allowInternalOps</c> is set (not export-safe), and the pattern is left alone otherwise.
/// </remarks>
public sealed class GeluFusionPass(bool allowInternalOps) : IGraphPass
{
    /// <summary>The first default-domain opset with Gelu.</summary>
    public const long GeluOpset = 20;

    /// <inheritdoc/>
    public string Name => "gelu-fusion";

    /// <inheritdoc/>
    public bool ExportSafe => !allowInternalOps;

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        bool standard = graph.Metadata.Opset >= GeluOpset;
        if (!standard && !allowInternalOps) return 0;
        var facts = ShapeFacts.Of(graph);
        var editor = new GraphEditor(graph);
        int count = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (editor.IsRemoved(node)) continue;
            var match = Patterns.Is(node, "Erf") ? MatchErf(editor, facts, node)
                : Patterns.Is(node, "Tanh") ? MatchTanh(editor, facts, node)
                : null;
            if (match is not var (x, output, nodes, tanh) || facts.Type(x) != DataType.Float32) continue;
            var gelu = new Node("Gelu", editor.UniqueName(node.Name.Length > 0 ? node.Name + "_gelu" : "gelu"), [x], [output])
            { Domain = standard ? "" : PrunusDomain.Name };
            if (tanh) gelu.Attributes["approximate"] = AttributeValue.Of("tanh");
            foreach (var n in nodes) editor.Remove(n);
            editor.Add(gelu, before: nodes[0]);
            if (!standard) editor.ImportPrunusDomain();
            count++;
        }
        editor.Commit();
        return count;
    }

    // Erf(x / √2) or Erf(x · (1/√2)), then the common tail.
    private static (string X, string Output, List<Node> Nodes, bool Tanh)? MatchErf(GraphEditor editor, ShapeFacts facts, Node erf)
    {
        var u = erf.Inputs[0];
        if (editor.Producer(u) is not { } scale || !editor.OnlyFeeds(u, erf)) return null;
        string? x = Patterns.Is(scale, "Div") && Patterns.IsScalar(facts, scale.Inputs[1], Math.Sqrt(2)) ? scale.Inputs[0]
            : Patterns.Is(scale, "Mul") ? Patterns.WithScalar(facts, scale, Math.Sqrt(0.5))
            : null;
        return x is null ? null : Tail(editor, facts, x, erf, [scale, erf], tanh: false);
    }

    // Tanh(√(2/π) · (x + 0.044715 · x³)), then the common tail.
    private static (string X, string Output, List<Node> Nodes, bool Tanh)? MatchTanh(GraphEditor editor, ShapeFacts facts, Node tanh)
    {
        var u = tanh.Inputs[0];
        if (editor.Producer(u) is not { } scale || !Patterns.Is(scale, "Mul") || !editor.OnlyFeeds(u, tanh)) return null;
        if (Patterns.WithScalar(facts, scale, Math.Sqrt(2 / Math.PI)) is not { } inner || editor.Producer(inner) is not { } sum
            || !Patterns.Is(sum, "Add") || !editor.OnlyFeeds(inner, scale) || sum.Inputs.Count != 2) return null;
        for (int side = 0; side < 2; side++)
        {
            string x = sum.Inputs[side], term = sum.Inputs[1 - side];
            if (editor.Producer(term) is not { } termNode || !Patterns.Is(termNode, "Mul") || !editor.OnlyFeeds(term, sum)) continue;
            if (Patterns.WithScalar(facts, termNode, 0.044715) is not { } cube || !editor.OnlyFeeds(cube, termNode)) continue;
            if (Cube(editor, facts, cube, x) is not { } cubeNodes) continue;
            return Tail(editor, facts, x, tanh, [.. cubeNodes, termNode, sum, scale, tanh], tanh: true);
        }
        return null;
    }

    // x³ as Pow(x, 3), Mul(x, Mul(x, x)) or Mul(Mul(x, x), x).
    private static List<Node>? Cube(GraphEditor editor, ShapeFacts facts, string cube, string x)
    {
        var node = editor.Producer(cube);
        if (Patterns.Is(node, "Pow")) return node!.Inputs[0] == x && Patterns.IsScalar(facts, node.Inputs[1], 3) ? [node] : null;
        if (!Patterns.Is(node, "Mul") || Patterns.Other(node!, x) is not { } square) return null;
        var sq = editor.Producer(square);
        return Patterns.Is(sq, "Mul") && sq!.Inputs[0] == x && sq.Inputs[1] == x && editor.OnlyFeeds(square, node!) ? [sq, node!] : null;
    }

    // From f = Erf(...) or Tanh(...): (1 + f), then times x and times 0.5 in any of the orders exporters write.
    private static (string X, string Output, List<Node> Nodes, bool Tanh)? Tail(GraphEditor editor, ShapeFacts facts, string x, Node f,
        List<Node> nodes, bool tanh)
    {
        if (editor.SoleConsumer(f.Outputs[0]) is not { } onePlus || !Patterns.Is(onePlus, "Add")
            || Patterns.WithScalar(facts, onePlus, 1) != f.Outputs[0]) return null;
        nodes.Add(onePlus);
        if (editor.SoleConsumer(onePlus.Outputs[0]) is not { } m1 || !Patterns.Is(m1, "Mul") || Patterns.Other(m1, onePlus.Outputs[0]) is not { } other)
            return null;
        nodes.Add(m1);
        // (x · (1 + f)) · 0.5 or (0.5 · (1 + f)) · x
        if (other == x || Patterns.IsScalar(facts, other, 0.5))
        {
            var want = other == x ? null : x;
            if (editor.SoleConsumer(m1.Outputs[0]) is not { } m2 || !Patterns.Is(m2, "Mul")) return null;
            var rest = Patterns.Other(m2, m1.Outputs[0]);
            bool ok = want is null ? Patterns.IsScalar(facts, rest, 0.5) : rest == want;
            if (!ok) return null;
            nodes.Add(m2);
            return (x, m2.Outputs[0], nodes, tanh);
        }
        // (0.5 · x) · (1 + f)
        if (editor.Producer(other) is { } half && Patterns.Is(half, "Mul") && Patterns.WithScalar(facts, half, 0.5) == x && editor.OnlyFeeds(other, m1))
        {
            nodes.Insert(0, half);
            return (x, m1.Outputs[0], nodes, tanh);
        }
        return null;
    }
}
