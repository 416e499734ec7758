namespace Prunus.Graph.Passes;

/// <summary>
/// Removes Identity nodes, and Dropout nodes as inference sees them (no mask read, not forced into training mode by a
/// training_mode input), rewiring their readers to their input. Graph output names are kept (see <see cref="GraphEditor.Bypass"/>).
/// </summary>
public sealed class IdentityRemovalPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "identity-removal";

    /// <inheritdoc/>
    public bool ExportSafe => true;

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        var editor = new GraphEditor(graph);
        int count = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (node.Domain is not ("" or "ai.onnx") || node.Inputs.Count == 0 || node.Inputs[0].Length == 0 || node.Outputs.Count == 0) continue;
            bool passThrough = node.OpType switch
            {
                "Identity" => true,
                "Dropout" => DropoutIsIdentity(editor, node),
                _ => false,
            };
            if (passThrough && editor.Bypass(node, node.Inputs[0])) count++;
        }
        editor.Commit();
        return count;
    }

    // Inference Dropout is the identity unless its mask is read or a training_mode input may be true.
    private static bool DropoutIsIdentity(GraphEditor editor, Node node)
    {
        for (int o = 1; o < node.Outputs.Count; o++)
            if (node.Outputs[o].Length > 0 && (editor.Consumers(node.Outputs[o]).Count > 0 || editor.IsGraphOutput(node.Outputs[o])))
                return false;
        if (node.InputOrNull(2) is { } mode)
            return editor.Initializer(mode) is { Length: 1 } t && t.GetAsDouble(0) == 0;
        return true;
    }
}
