using Prunus.Graph.Ops;

namespace Prunus.Graph.Planning;

/// <summary>Structural checks that must pass before anything runs: every value defined, no cycle, every op known.</summary>
public static class GraphValidation
{
    /// <summary>Nodes in an order where every input is produced before use; throws on cycles and undefined values.</summary>
    public static List<Node> TopologicalOrder(ModelGraph graph)
    {
        var producer = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
            foreach (var o in n.Outputs)
                if (o.Length > 0 && !producer.TryAdd(o, n))
                    throw new ModelException($"value '{o}' is produced by two nodes: '{producer[o].Name}' and '{n.Name}'");
        var available = new HashSet<string>(graph.Inputs.Select(i => i.Name), StringComparer.Ordinal);
        available.UnionWith(graph.Initializers.Keys);
        foreach (var n in graph.Nodes)
            foreach (var i in n.Inputs)
                if (i.Length > 0 && !available.Contains(i) && !producer.ContainsKey(i))
                    throw new ModelException($"{n.OpType} node '{n.Name}' reads '{i}', which is not a graph input, an initializer or any node's output");

        var pending = new Dictionary<Node, int>();
        var consumers = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
        {
            int count = 0;
            foreach (var i in n.Inputs.Where(i => i.Length > 0 && !available.Contains(i)).Distinct())
            {
                count++;
                if (!consumers.TryGetValue(i, out var list)) consumers[i] = list = [];
                list.Add(n);
            }
            pending[n] = count;
        }
        var ready = new Queue<Node>(graph.Nodes.Where(n => pending[n] == 0));
        var order = new List<Node>(graph.Nodes.Count);
        while (ready.Count > 0)
        {
            var n = ready.Dequeue();
            order.Add(n);
            foreach (var o in n.Outputs)
                if (o.Length > 0 && consumers.TryGetValue(o, out var list))
                    foreach (var c in list)
                        if (--pending[c] == 0) ready.Enqueue(c);
        }
        if (order.Count != graph.Nodes.Count)
        {
            var stuck = graph.Nodes.Where(n => pending[n] > 0).Take(5).Select(n => $"'{n.Name}' ({n.OpType})");
            throw new ModelException($"the graph has a cycle through nodes {string.Join(", ", stuck)}");
        }
        return order;
    }

    /// <summary>Ops the registry does not know, grouped by domain and type, with their node names.</summary>
    public static IReadOnlyList<(string OpType, string Domain, IReadOnlyList<string> Nodes)> UnsupportedOps(ModelGraph graph) =>
        graph.Nodes.Where(n => OpRegistry.Find(n.Domain, n.OpType) is null)
            .GroupBy(n => (n.Domain, n.OpType))
            .Select(g => (g.Key.OpType, g.Key.Domain, (IReadOnlyList<string>)g.Select(n => n.Name).ToList()))
            .ToList();

    /// <summary>One error listing every unsupported op (type, count, node names), before anything runs.</summary>
    public static void ThrowIfUnsupported(ModelGraph graph)
    {
        var missing = UnsupportedOps(graph);
        if (missing.Count == 0) return;
        var lines = missing.Select(m =>
            $"{(m.Domain.Length > 0 ? m.Domain + "." : "")}{m.OpType} x{m.Nodes.Count} (nodes: {string.Join(", ", m.Nodes.Take(5))}{(m.Nodes.Count > 5 ? ", ..." : "")})");
        throw new ModelException($"the model uses {missing.Count} unsupported op type(s): {string.Join("; ", lines)}");
    }
}
