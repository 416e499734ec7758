using Prunus.Tensors;

namespace Prunus.Graph.Planning;

/// <summary>
/// Gives every planned value a tensor. Inference plans reuse a buffer once its last reader has run (best fit by size,
/// per storage type); training plans keep every value, since backward reads them. View ops share their input's buffer.
/// </summary>
internal static class BufferAssignment
{
    /// <summary>Binds data inputs and step outputs into <paramref name="values"/>; returns bytes of buffers allocated.</summary>
    public static long Bind(ModelGraph graph, List<PlanStep> steps, Dictionary<string, TensorInfo> infos,
        Dictionary<string, Tensor> values, PlanOptions options)
    {
        long bytes = 0;
        foreach (var input in graph.DataInputs)
        {
            var info = infos[input.Name];
            values[input.Name] = Tensor.Zeros(info.Type, info.Shape);
            bytes += (long)info.Length * info.Type.SizeOf();
        }

        // root[v]: the value whose buffer v lives in (itself, or a view's source). lastUse[root]: last step reading it.
        var root = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var step in steps)
            for (int o = 0; o < step.Node.Outputs.Count; o++)
            {
                var name = step.Node.Outputs[o];
                if (name.Length == 0) continue;
                // A view's root is its source's root; a graph input or constant source is never released.
                root[name] = step.IsView && o == 0 ? root.GetValueOrDefault(step.Node.Inputs[0], step.Node.Inputs[0]) : name;
            }
        var pinned = new HashSet<string>(graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        pinned.UnionWith(options.KeepValues);
        var lastUse = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int s = 0; s < steps.Count; s++)
            foreach (var i in steps[s].Node.Inputs)
                if (i.Length > 0 && root.TryGetValue(i, out var r) && root.ContainsKey(r)) lastUse[r] = s; // roots that are graph inputs or constants are never released
        foreach (var p in pinned)
            if (root.TryGetValue(p, out var r)) lastUse[r] = int.MaxValue;

        bool reuse = !options.Training && !options.NeedsGradients;
        var free = new List<Array>();
        for (int s = 0; s < steps.Count; s++)
        {
            var step = steps[s];
            for (int o = 0; o < step.Node.Outputs.Count; o++)
            {
                var name = step.Node.Outputs[o];
                if (name.Length == 0) continue;
                var info = infos[name];
                if (step.IsView && o == 0)
                {
                    var src = values[step.Node.Inputs[0]];
                    values[name] = new Tensor(info.Type, info.Shape, src.Storage, src.Offset);
                    continue;
                }
                Array? storage = null;
                if (reuse)
                {
                    int best = -1;
                    for (int f = 0; f < free.Count; f++)
                        if (DataTypes.Of(free[f]) == info.Type.StorageType() && free[f].Length >= info.Length && (best < 0 || free[f].Length < free[best].Length))
                            best = f;
                    if (best >= 0) { storage = free[best]; free.RemoveAt(best); }
                }
                if (storage is null)
                {
                    storage = DataTypes.NewStorage(info.Type, Math.Max(info.Length, 1));
                    bytes += (long)storage.Length * info.Type.SizeOf();
                }
                values[name] = new Tensor(info.Type, info.Shape, storage);
            }
            if (!reuse) continue;
            // Release buffers whose last reader is this step; outputs never share a buffer with this step's inputs.
            foreach (var i in step.Node.Inputs.Distinct())
                if (i.Length > 0 && root.TryGetValue(i, out var r) && lastUse.TryGetValue(r, out var last) && last == s)
                {
                    free.Add(values[r].Storage);
                    lastUse.Remove(r);
                }
            // Outputs nobody reads are free at once.
            foreach (var o in step.Node.Outputs)
                if (o.Length > 0 && root[o] == o && !lastUse.ContainsKey(o) && !pinned.Contains(o))
                    free.Add(values[o].Storage);
        }
        return bytes;
    }
}
