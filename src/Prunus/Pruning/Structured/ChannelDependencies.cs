using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Tensors;

namespace Prunus.Pruning.Structured;

/// <summary>Finds the channel dependency groups of a graph.</summary>
public static class ChannelDependencies
{
    /// <summary>
    /// Walks <paramref name="graph"/> in topological order and groups every coupled channel: producers (Conv,
    /// ConvTranspose, Gemm and MatMul with constant weights) open channels, the ops that follow carry or join them, and
    /// consumers read them. Channels that reach a graph output or an op structured pruning does not understand make
    /// their whole group unprunable, with the reason recorded.
    /// </summary>
    public static ChannelAnalysis Find(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return new DependencyWalker(graph).Run();
    }
}

/// <summary>A tensor's channel axis and, per position along it, the unit (one producer channel) it carries, or -1.</summary>
internal sealed record ChannelMap(int Axis, int[] Units);

/// <summary>
/// The walk behind <see cref="ChannelDependencies.Find"/>. Every producer channel is a unit; ops that force channels
/// out together (residual joins, squeeze-excite scaling) union units; a class of units is one removable channel, and a
/// group is the set of producers whose units share classes.
/// </summary>
internal sealed partial class DependencyWalker
{
    private readonly ModelGraph _graph;
    private readonly ShapeFacts _facts;
    private readonly long _opset;
    private readonly Dictionary<string, ChannelMap> _maps = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<Node>> _consumers = new(StringComparer.Ordinal);
    private readonly HashSet<string> _outputs;
    private readonly List<int> _parent = [];
    private readonly List<int> _unitProducer = [];
    private readonly List<Node> _producers = [];
    private readonly Dictionary<int, string> _blocked = [];
    private readonly ConstantTensors _constants;
    private readonly List<(MemberRole Role, Node Node, string? Tensor, int Axis, int[] Units, int Entry, int[] Parts)> _members = [];

    public DependencyWalker(ModelGraph graph)
    {
        _graph = graph;
        _facts = ShapeFacts.Of(graph);
        _constants = new ConstantTensors(graph);
        _opset = graph.Metadata.Opset;
        _outputs = new HashSet<string>(graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        foreach (var n in graph.Nodes)
            foreach (var i in n.Inputs.Concat(GraphEditor.CapturedBy(n)).Distinct())
                if (i.Length > 0)
                {
                    if (!_consumers.TryGetValue(i, out var list)) _consumers[i] = list = [];
                    list.Add(n);
                }
    }

    public ChannelAnalysis Run()
    {
        var order = GraphValidation.TopologicalOrder(_graph);
        foreach (var node in order)
        {
            foreach (var captured in GraphEditor.CapturedBy(node))
            {
                if (Map(captured) is { } cm) Block(cm, $"{Describe(node)} reads it inside a subgraph");
                BlockVector(captured, $"{Describe(node)} reads a channel count inside a subgraph");
            }
            bool producer = node.OpType is "Conv" or "ConvTranspose" or "Gemm" or "MatMul";
            bool channels = node.Inputs.Any(i => Map(i) is not null);
            bool counts = node.Inputs.Any(i => Vector(i) is not null);
            if (!producer && !channels && !counts) continue;
            var handled = new HashSet<int>();
            bool standard = node.Domain is "" or "ai.onnx";
            bool known = standard && (!(producer || channels) || Visit(node, handled));
            if (standard && counts) VisitCounts(node, handled);
            for (int i = 0; i < node.Inputs.Count; i++)
            {
                if (handled.Contains(i)) continue;
                if (Map(node.Inputs[i]) is { } m)
                    Block(m, known ? $"{Describe(node)} reads it as input {i}, which structured pruning does not follow"
                        : $"{Describe(node)} is an op structured pruning does not understand");
                BlockVector(node.Inputs[i], $"{Describe(node)} uses the channel count (from Shape) in a way structured pruning does not follow");
            }
        }
        foreach (var o in _graph.Outputs)
        {
            if (Map(o.Name) is { } m) Block(m, $"it reaches graph output '{o.Name}'");
            BlockVector(o.Name, $"its channel count reaches graph output '{o.Name}'");
        }
        JoinSharedWeights();
        return Finish();
    }

    // ---- Helpers for the rules.

    private static string Describe(Node n) => $"{n.OpType} '{n.Name}'";

    private ChannelMap? Map(string? value) => value is { Length: > 0 } && _maps.TryGetValue(value, out var m) ? m : null;

    private void Set(string value, ChannelMap map)
    {
        if (value.Length > 0) _maps[value] = map;
    }

    /// <summary>A constant (initializer or Constant node) by name, or null.</summary>
    private Tensor? Init(string? name) => _constants.Get(Constant(name));

    /// <summary>The constant a value names, through Identity nodes (members name the constant itself).</summary>
    private string? Constant(string? name) => name is { Length: > 0 } ? _constants.Resolve(name) : name;

    private int? Rank(string value) => _facts.Rank(value);

    private int?[]? Dims(string value) => _facts.Dims(value);

    /// <summary>Whether anything reads <paramref name="value"/> (a node or the graph's outputs).</summary>
    private bool Used(string? value) => value is { Length: > 0 } && (_outputs.Contains(value) || _consumers.ContainsKey(value));

    private long Int(Node n, string name, long fallback) => n.Attributes.TryGetValue(name, out var a) ? a.Int : fallback;

    /// <summary>Opens <paramref name="count"/> new units written by <paramref name="node"/> along <paramref name="axis"/>.</summary>
    private ChannelMap NewProducer(Node node, int count, int axis)
    {
        _producers.Add(node);
        var units = new int[count];
        for (int i = 0; i < count; i++)
        {
            units[i] = _parent.Count;
            _parent.Add(_parent.Count);
            _unitProducer.Add(_producers.Count - 1);
        }
        return new ChannelMap(axis, units);
    }

    private void Block(ChannelMap map, string reason)
    {
        foreach (var u in map.Units)
            if (u >= 0) _blocked.TryAdd(u, reason);
    }

    private void Member(MemberRole role, Node node, string? tensor, int axis, int[] units, int entry = 0, int[]? parts = null) =>
        _members.Add((role, node, Constant(tensor), axis, units, entry, parts ?? []));

    private int Find(int u)
    {
        while (_parent[u] != u)
        {
            _parent[u] = _parent[_parent[u]];
            u = _parent[u];
        }
        return u;
    }

    private void Union(int a, int b)
    {
        if (a < 0 || b < 0) return;
        a = Find(a);
        b = Find(b);
        // The smaller unit stays the root, so classes keep the order of their first producer.
        if (a < b) _parent[b] = a;
        else if (b < a) _parent[a] = b;
    }

    /// <summary>Forces position i of <paramref name="a"/> and of <paramref name="b"/> out together; -1 against a unit blocks it.</summary>
    private void Join(ChannelMap a, ChannelMap b, string reason)
    {
        for (int i = 0; i < a.Units.Length; i++)
        {
            int x = a.Units[i], y = b.Units[i];
            if (x >= 0 && y >= 0) Union(x, y);
            else if (x >= 0) _blocked.TryAdd(x, reason);
            else if (y >= 0) _blocked.TryAdd(y, reason);
        }
    }

    /// <summary>
    /// A weight read by several layers (a head applied at every level of a pyramid, tied embeddings) holds the same
    /// channels in each: position p of every use is one channel, so the uses' channels are joined.
    /// </summary>
    private void JoinSharedWeights()
    {
        foreach (var uses in _members.Where(m => _constants.Contains(m.Tensor)).GroupBy(m => (m.Tensor!, m.Axis)))
        {
            var first = uses.First();
            foreach (var other in uses.Skip(1))
                if (other.Units.Length == first.Units.Length)
                    Join(new ChannelMap(first.Axis, first.Units), new ChannelMap(other.Axis, other.Units),
                        $"initializer '{first.Tensor}' is shared with a layer whose channels no group removes");
        }
    }

    /// <summary>The nodes that read constant <paramref name="name"/>, looking through the Identity nodes that alias it.</summary>
    private IEnumerable<Node> Readers(string name)
    {
        foreach (var n in _consumers.GetValueOrDefault(name, []))
        {
            if (n.OpType == "Identity" && n.Outputs.Count == 1 && _constants.IsAlias(n.Outputs[0]))
            {
                if (_outputs.Contains(n.Outputs[0])) yield return n;
                foreach (var r in Readers(n.Outputs[0])) yield return r;
            }
            else yield return n;
        }
    }

    // ---- Classes and groups.

    private ChannelAnalysis Finish()
    {
        int units = _parent.Count;
        var classOfRoot = new Dictionary<int, int>();
        var unitClass = new int[units];
        for (int u = 0; u < units; u++)
        {
            int r = Find(u);
            if (!classOfRoot.TryGetValue(r, out var c)) classOfRoot[r] = c = classOfRoot.Count;
            unitClass[u] = c;
        }
        int classes = classOfRoot.Count;

        // Producers sharing a class belong to one group.
        var producerParent = Enumerable.Range(0, _producers.Count).ToArray();
        int FindP(int p) { while (producerParent[p] != p) p = producerParent[p] = producerParent[producerParent[p]]; return p; }
        for (int u = 0; u < units; u++)
        {
            int a = FindP(_unitProducer[u]), b = FindP(_unitProducer[Find(u)]);
            if (a != b) producerParent[Math.Max(a, b)] = Math.Min(a, b);
        }
        var groupOfRoot = new Dictionary<int, int>();
        var producerGroup = new int[_producers.Count];
        for (int p = 0; p < _producers.Count; p++)
        {
            int r = FindP(p);
            if (!groupOfRoot.TryGetValue(r, out var g)) groupOfRoot[r] = g = groupOfRoot.Count;
            producerGroup[p] = g;
        }
        int groups = groupOfRoot.Count;
        var classGroup = new int[classes];
        for (int u = 0; u < units; u++) classGroup[unitClass[u]] = producerGroup[_unitProducer[u]];
        var groupClassList = Enumerable.Range(0, groups).Select(_ => new List<int>()).ToArray();
        var classChannel = new int[classes];
        for (int c = 0; c < classes; c++)
        {
            classChannel[c] = groupClassList[classGroup[c]].Count;
            groupClassList[classGroup[c]].Add(c);
        }

        var reasons = Enumerable.Range(0, groups).Select(_ => new List<string>()).ToArray();
        void AddReason(int g, string r) { if (!reasons[g].Contains(r)) reasons[g].Add(r); }
        foreach (var (u, reason) in _blocked.OrderBy(kv => kv.Key)) AddReason(classGroup[unitClass[u]], reason);

        int[] ToClasses(int[] us) => us.Select(u => u < 0 ? -1 : unitClass[u]).ToArray();
        var slices = _members.Select(m => new MemberSlice(m.Role, m.Node, m.Tensor, m.Axis, ToClasses(m.Units)) { Entry = m.Entry, Parts = m.Parts }).ToList();
        CheckSharedTensors(slices, classGroup, AddReason);

        var values = new Dictionary<string, (int Axis, int[] Classes)>(StringComparer.Ordinal);
        foreach (var (name, map) in _maps) values[name] = (map.Axis, ToClasses(map.Units));

        // Producers are named in the order of the graph's node list (the order the model was written in).
        var position = new Dictionary<Node, int>();
        for (int i = 0; i < _graph.Nodes.Count; i++) position.TryAdd(_graph.Nodes[i], i);
        var producerNames = Enumerable.Range(0, groups).Select(_ => new List<string>()).ToArray();
        foreach (int p in Enumerable.Range(0, _producers.Count).OrderBy(p => position[_producers[p]]))
        {
            var name = _producers[p].Name;
            if (!producerNames[producerGroup[p]].Contains(name)) producerNames[producerGroup[p]].Add(name);
        }
        // Each slice and activation, seen from every group it touches.
        var members = Enumerable.Range(0, groups).Select(_ => new List<GroupMember>()).ToArray();
        var producerOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var n in _graph.Nodes) foreach (var o in n.Outputs) if (o.Length > 0) producerOf.TryAdd(o, n.Name);
        void AddViews(MemberRole role, string node, string? tensor, int axis, int[] cls)
        {
            foreach (var g in cls.Where(c => c >= 0).Select(c => classGroup[c]).Distinct())
                members[g].Add(new GroupMember(role, node, tensor, axis, cls.Select(c => c >= 0 && classGroup[c] == g ? classChannel[c] : -1).ToArray()));
        }
        foreach (var s in slices) AddViews(s.Role, s.Node.Name, s.Tensor, s.Axis, s.Classes);
        foreach (var (name, (axis, cls)) in values) AddViews(MemberRole.Activation, producerOf.GetValueOrDefault(name, name), name, axis, cls);
        var result = new List<ChannelGroup>(groups);
        for (int g = 0; g < groups; g++)
            result.Add(new ChannelGroup(g, producerNames[g][0], groupClassList[g].Count, producerNames[g], members[g], reasons[g]));
        return new ChannelAnalysis(_graph, result, groupClassList.Select(l => l.ToArray()).ToArray(), classGroup, classChannel, slices, values, _constants);
    }

    /// <summary>
    /// An initializer sliced by several members must be sliced the same way by all, and read by nobody else (a weight
    /// shared with an op that is not a member would change under it); otherwise its groups are left alone.
    /// </summary>
    private void CheckSharedTensors(List<MemberSlice> slices, int[] classGroup, Action<int, string> addReason)
    {
        foreach (var byTensor in slices.Where(s => _constants.Contains(s.Tensor)).GroupBy(s => s.Tensor!))
        {
            var name = byTensor.Key;
            string? problem = null;
            foreach (var byAxis in byTensor.GroupBy(s => s.Axis))
            {
                var first = byAxis.First().Classes;
                if (byAxis.Any(s => !s.Classes.AsSpan().SequenceEqual(first))) problem = $"initializer '{name}' is shared by layers with different channels";
            }
            var memberNodes = byTensor.Select(s => s.Node).ToHashSet();
            var others = Readers(name).Where(n => !memberNodes.Contains(n)).ToList();
            if (others.Count > 0) problem ??= $"initializer '{name}' is also read by {Describe(others[0])}";
            if (_outputs.Contains(name)) problem ??= $"initializer '{name}' is a graph output";
            if (problem is null) continue;
            foreach (var g in byTensor.SelectMany(s => s.Classes).Where(c => c >= 0).Select(c => classGroup[c]).Distinct()) addReason(g, problem);
        }
    }
}
