namespace Prunus.Graph.Passes;

/// <summary>
/// Removes initializers that no node reads and that are not graph outputs. Initializers also declared as graph inputs
/// stay: they are part of the model's interface (a caller may override them).
/// </summary>
public sealed class UnusedInitializerRemovalPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "unused-initializer-removal";

    /// <inheritdoc/>
    public bool ExportSafe => true;

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
        {
            used.UnionWith(n.Inputs);
            used.UnionWith(GraphEditor.CapturedBy(n));
        }
        used.UnionWith(graph.Outputs.Select(o => o.Name));
        used.UnionWith(graph.Inputs.Select(i => i.Name));
        var unused = graph.Initializers.Keys.Where(k => !used.Contains(k)).ToList();
        foreach (var name in unused) graph.Initializers.Remove(name);
        return unused.Count;
    }
}
