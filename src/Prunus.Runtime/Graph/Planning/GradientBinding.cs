using Prunus.Tensors;

namespace Prunus.Graph.Planning;

/// <summary>
/// Decides which values need gradients (those downstream of a parameter or a requested input, through differentiable
/// inputs) and binds a gradient buffer for each into the kernels.
/// </summary>
internal static class GradientBinding
{
    public static Dictionary<string, Tensor> Bind(ModelGraph graph, List<PlanStep> steps, Dictionary<string, TensorInfo> infos,
        IReadOnlyList<string> parameters, PlanOptions options)
    {
        var requires = new HashSet<string>(parameters, StringComparer.Ordinal);
        requires.UnionWith(options.InputGradients);
        foreach (var step in steps)
        {
            bool flows = false;
            for (int i = 0; i < step.Node.Inputs.Count; i++)
                flows |= step.Node.Inputs[i].Length > 0 && requires.Contains(step.Node.Inputs[i]) && step.Op.IsDifferentiable(step.Node, i);
            if (!flows) continue;
            foreach (var o in step.Node.Outputs)
                if (o.Length > 0 && infos[o].Type == DataType.Float32) requires.Add(o);
        }

        var grads = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        Tensor GradOf(string name) => grads.TryGetValue(name, out var g) ? g : grads[name] = Tensor.Zeros(DataType.Float32, infos[name].Shape);
        foreach (var p in requires) if (infos.ContainsKey(p) && infos[p].Type == DataType.Float32) GradOf(p);

        foreach (var step in steps)
        {
            var k = step.Kernel;
            k.OutputGrads = step.Node.Outputs.Select(o => o.Length > 0 && grads.ContainsKey(o) ? grads[o] : null).ToArray();
            k.InputGrads = step.Node.Inputs.Select((n, i) => n.Length > 0 && step.Op.IsDifferentiable(step.Node, i) && grads.ContainsKey(n) ? grads[n] : null).ToArray();
        }
        foreach (var o in graph.Outputs)
            if (!grads.ContainsKey(o.Name) && infos.TryGetValue(o.Name, out var info) && info.Type == DataType.Float32 && requires.Contains(o.Name))
                GradOf(o.Name);
        return grads;
    }
}
