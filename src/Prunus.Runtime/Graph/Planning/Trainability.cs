using Prunus.Graph.Ops;
using Prunus.Tensors;

namespace Prunus.Graph.Planning;

/// <summary>
/// Which initializers are trained: float initializers read only at inputs through which a gradient flows (weights,
/// biases, BN scale and shift), not BN running statistics, shapes or indices. Derived from the graph, never stored.
/// </summary>
public static class Trainability
{
    /// <summary>Names of the trainable initializers of <paramref name="graph"/>, in a stable order.</summary>
    public static IReadOnlyList<string> TrainableInitializers(ModelGraph graph)
    {
        var result = new List<string>();
        var blocked = new HashSet<string>(StringComparer.Ordinal);
        var used = new List<string>();
        foreach (var node in graph.Nodes)
        {
            var op = OpRegistry.Find(node.Domain, node.OpType);
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                var name = node.Inputs[i];
                if (name.Length == 0 || !graph.Initializers.ContainsKey(name)) continue;
                if (!used.Contains(name)) used.Add(name);
                if (op is null || !op.IsDifferentiable(node, i)) blocked.Add(name);
            }
        }
        // In order of first use, so optimizer state and checkpoints line up run after run.
        foreach (var name in used)
            if (graph.Initializers[name].Type == DataType.Float32 && !blocked.Contains(name)) result.Add(name);
        return result;
    }
}
