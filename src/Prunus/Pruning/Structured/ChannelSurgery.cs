using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Pruning.Structured;

/// <summary>
/// Cuts removed channels out of a copy of the analysed graph: slices every member initializer on its channel axes,
/// rewrites depthwise groups, Reshape targets and Split sizes, and drops stale declared shapes.
/// </summary>
internal static class ChannelSurgery
{
    public static ModelGraph Apply(ChannelAnalysis analysis, HashSet<int> removed)
    {
        var source = analysis.Graph;
        var graph = source.Clone();
        var nodeOf = new Dictionary<Node, Node>();
        for (int i = 0; i < source.Nodes.Count; i++) nodeOf[source.Nodes[i]] = graph.Nodes[i];
        if (removed.Count == 0) return graph;
        CheckNothingEmpties(analysis, removed);
        var constants = new ConstantTensors(graph);
        var sliced = new HashSet<string>(StringComparer.Ordinal);

        // Constants: slice each sliced axis once (members on the same axis agree, as the analysis checked).
        foreach (var byTensor in analysis.Slices
                     .Where(s => s.Role is not (MemberRole.ReshapeTarget or MemberRole.SplitSizes) && analysis.Constants.Contains(s.Tensor))
                     .GroupBy(s => s.Tensor!))
        {
            var t = constants.Get(byTensor.Key)!;
            foreach (var s in byTensor.GroupBy(s => s.Axis).Select(g => g.First()))
                if (s.Classes.Any(removed.Contains))
                {
                    t = SliceAxis(t, s.Axis, Kept(s.Classes, removed));
                    sliced.Add(byTensor.Key);
                }
            constants.Set(byTensor.Key, t);
            var declared = graph.Inputs.FirstOrDefault(i => i.Name == byTensor.Key);
            if (declared is not null) declared.Dims = t.Shape.Select(d => (Dim)d).ToArray();
        }

        Graph.Passes.GraphEditor? editor = null;
        foreach (var s in analysis.Slices)
        {
            if (!s.Classes.Any(removed.Contains)) continue;
            var node = nodeOf[s.Node];
            int kept = Kept(s.Classes, removed).Length;
            switch (s.Role)
            {
                case MemberRole.GroupAttribute:
                    node.Attributes["group"] = AttributeValue.Of((long)kept);
                    break;
                case MemberRole.ReshapeTarget:
                    SetReshapeEntry(constants, node, s.Tensor, s.Entry, kept);
                    break;
                case MemberRole.SplitSizes:
                    SetSplitSizes(graph, constants, node, s, removed);
                    break;
                case MemberRole.TargetPiece:
                    node.Inputs[s.Entry] = (editor ??= new Graph.Passes.GraphEditor(graph)).AddInitializer($"{node.Name}_pruned_size", Tensor.From(new[] { (long)kept }, 1));
                    break;
            }
        }

        // Declared shapes of shrunk activations, and of Identity aliases of sliced constants, are stale.
        var changed = analysis.Values.Where(v => v.Value.Classes.Any(removed.Contains)).Select(v => v.Key).ToHashSet(StringComparer.Ordinal);
        changed.UnionWith(sliced);
        graph.ValueInfos.RemoveAll(v => changed.Contains(constants.Resolve(v.Name)));
        return graph;
    }

    /// <summary>Positions whose class is kept (-1: a channel no group removes).</summary>
    public static int[] Kept(int[] classes, HashSet<int> removed)
    {
        var keep = new List<int>(classes.Length);
        for (int p = 0; p < classes.Length; p++)
            if (classes[p] < 0 || !removed.Contains(classes[p])) keep.Add(p);
        return keep.ToArray();
    }

    /// <summary>Every activation and sliced axis keeps at least one position, so no tensor ends empty.</summary>
    private static void CheckNothingEmpties(ChannelAnalysis analysis, HashSet<int> removed)
    {
        foreach (var (name, (_, classes)) in analysis.Values)
            if (classes.Length > 0 && Kept(classes, removed).Length == 0)
                throw new ArgumentException($"the selection removes every channel of '{name}'; keep at least one");
        foreach (var s in analysis.Slices)
            if (s.Role == MemberRole.SplitSizes)
            {
                int offset = 0;
                foreach (var part in s.Parts)
                {
                    if (Kept(s.Classes[offset..(offset + part)], removed).Length == 0)
                        throw new ArgumentException($"the selection empties an output of {s.Node.OpType} '{s.Node.Name}'; keep at least one channel in it");
                    offset += part;
                }
            }
    }

    /// <summary>The positions <paramref name="keep"/> of <paramref name="axis"/>, any element type.</summary>
    public static Tensor SliceAxis(Tensor t, int axis, int[] keep)
    {
        int outer = 1, inner = 1, dim = t.Shape[axis];
        for (int i = 0; i < axis; i++) outer *= t.Shape[i];
        for (int i = axis + 1; i < t.Rank; i++) inner *= t.Shape[i];
        var shape = (int[])t.Shape.Clone();
        shape[axis] = keep.Length;
        var result = Tensor.Zeros(t.Type, shape);
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < keep.Length; k++)
                Array.Copy(t.Storage, t.Offset + (o * dim + keep[k]) * inner, result.Storage, result.Offset + (o * keep.Length + k) * inner, inner);
        return result;
    }

    private static void SetReshapeEntry(ConstantTensors constants, Node node, string? source, int entry, int value)
    {
        if (source is null)
        {
            var ints = (long[])node.Attributes["shape"].Ints.Clone();
            ints[entry] = value;
            node.Attributes["shape"] = AttributeValue.Of(ints);
            return;
        }
        var t = constants.Get(source) ?? throw new InvalidOperationException($"the target of Reshape '{node.Name}' is not a constant");
        constants.Set(source, WithEntry(t, entry, value));
    }

    private static Tensor WithEntry(Tensor t, int entry, long value)
    {
        var copy = t.Clone();
        if (copy.Type == DataType.Int64) copy.Span<long>()[entry] = value;
        else if (copy.Type == DataType.Int32) copy.Span<int>()[entry] = (int)value;
        else throw new InvalidOperationException($"a Reshape target of type {copy.Type} cannot be rewritten");
        return copy;
    }

    private static void SetSplitSizes(ModelGraph graph, ConstantTensors constants, Node node, MemberSlice s, HashSet<int> removed)
    {
        var sizes = new long[s.Parts.Length];
        int offset = 0;
        for (int k = 0; k < sizes.Length; k++)
        {
            sizes[k] = Kept(s.Classes[offset..(offset + s.Parts[k])], removed).Length;
            offset += s.Parts[k];
        }
        if (s.Tensor is not null) { constants.Set(s.Tensor, Tensor.From(sizes, sizes.Length)); return; }
        if (node.Attributes.ContainsKey("split") || graph.Metadata.Opset < 13) { node.Attributes["split"] = AttributeValue.Of(sizes); return; }
        // Equal parts (or num_outputs) no longer hold: give the sizes explicitly, as input 1.
        node.Attributes.Remove("num_outputs");
        var name = UniqueInitializer(graph, $"{node.Name}.split");
        graph.Initializers[name] = Tensor.From(sizes, sizes.Length);
        while (node.Inputs.Count < 2) node.Inputs.Add("");
        node.Inputs[1] = name;
    }

    private static string UniqueInitializer(ModelGraph graph, string stem)
    {
        var name = stem;
        for (int i = 1; graph.Initializers.ContainsKey(name) || graph.Nodes.Any(n => n.Outputs.Contains(name)); i++) name = $"{stem}_{i}";
        return name;
    }
}
