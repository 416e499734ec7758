namespace Prunus.Graph.Passes;

/// <summary>Removes nodes none of whose outputs reaches a graph output (directly or through other nodes).</summary>
public sealed class DeadNodeRemovalPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "dead-node-removal";

    /// <inheritdoc/>
    public bool ExportSafe => true;

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        var editor = new GraphEditor(graph);
        var live = new HashSet<Node>();
        var pending = new Stack<string>(graph.Outputs.Select(o => o.Name));
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (pending.Count > 0)
        {
            var value = pending.Pop();
            if (!seen.Add(value) || editor.Producer(value) is not { } node || !live.Add(node)) continue;
            foreach (var i in node.Inputs) if (i.Length > 0) pending.Push(i);
            foreach (var c in GraphEditor.CapturedBy(node)) pending.Push(c);
        }
        int removed = graph.Nodes.RemoveAll(n => !live.Contains(n));
        return removed;
    }
}
