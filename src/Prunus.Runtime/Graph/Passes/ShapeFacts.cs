using System.Runtime.InteropServices;
using Prunus.Graph.Ops;
using Prunus.Graph.Planning;
using Prunus.Tensors;

namespace Prunus.Graph.Passes;

/// <summary>
/// What is known about a graph's values before any input is given: element types, ranks, the dimensions that do not
/// depend on the symbolic input dimensions (a dynamic batch "N"), and the values that are constant.
/// </summary>
/// <remarks>
/// Shapes in Prunus are concrete, so the graph is inferred (and its constants evaluated, by the planner's own folding
/// rules) for several sizes of the symbolic dimensions: 1, and two other sizes with a different value per symbol. A fact
/// holds when it comes out the same in every probe, e.g. a dimension that is 16 whatever the batch size. A value whose
/// inference fails in any probe (an op Prunus does not know, a reshape hard-coded to batch 1) has no static facts, so
/// passes leave it alone. Random ops are never evaluated.
/// </remarks>
internal sealed class ShapeFacts
{
    private readonly List<Dictionary<string, TensorInfo>> _infos = [];
    private readonly List<Dictionary<string, Tensor>> _constants = [];

    private ShapeFacts() { }

    /// <summary>Infers <paramref name="graph"/> under each probe of its symbolic input dimensions.</summary>
    public static ShapeFacts Of(ModelGraph graph)
    {
        var facts = new ShapeFacts();
        List<Node> order;
        try { order = GraphValidation.TopologicalOrder(graph); }
        catch (ModelException) { return facts; }

        // Every symbolic or unknown input dimension is a symbol; each probe gives each symbol a size.
        var symbols = new List<string>();
        foreach (var input in graph.DataInputs)
            for (int d = 0; input.Dims is not null && d < input.Dims.Length; d++)
                if (input.Dims[d].Value is null)
                {
                    var key = input.Dims[d].Symbol ?? $"?{input.Name}:{d}";
                    if (!symbols.Contains(key)) symbols.Add(key);
                }
        int probes = symbols.Count == 0 ? 1 : 3;
        for (int p = 0; p < probes; p++)
        {
            var infos = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
            var constants = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            foreach (var (name, t) in graph.Initializers) { infos[name] = new TensorInfo(t.Type, t.Shape); constants[name] = t; }
            foreach (var input in graph.DataInputs)
                if (input.Dims is not null && input.FullType is null)
                    infos[input.Name] = new TensorInfo(input.Type, input.Dims.Select((dim, d) => dim.Value ??
                        ProbeSize(p, symbols.IndexOf(dim.Symbol ?? $"?{input.Name}:{d}"))).ToArray());
            facts._infos.Add(infos);
            facts._constants.Add(constants);
        }

        using var pool = new Threading.WorkerPool(1);
        var foldContext = new RunContext(pool, false);
        foreach (var node in order)
        {
            var op = OpRegistry.Find(node.Domain, node.OpType);
            if (op is null || node.Attributes.Values.Any(a => a.Kind is AttributeKind.Graph or AttributeKind.Graphs)) continue;
            Tensor[]? first = null;
            Tensor?[]? firstConstants = null;
            for (int p = 0; p < probes; p++)
                Infer(facts._infos[p], facts._constants[p], node, op, graph.Metadata.Opset, foldContext, ref first, ref firstConstants, p);
        }
        return facts;
    }

    // Probe 0 takes every symbol as 1; the others give distinct sizes per symbol, so coincidences between symbols show.
    private static int ProbeSize(int probe, int symbol) => probe switch { 0 => 1, 1 => 3 + 2 * symbol, _ => 4 + 3 * symbol };

    private static void Infer(Dictionary<string, TensorInfo> infos, Dictionary<string, Tensor> constants, Node node, Operator op,
        long opset, RunContext foldContext, ref Tensor[]? first, ref Tensor?[]? firstConstants, int probe)
    {
        var inInfos = new TensorInfo[node.Inputs.Count];
        var inConst = new Tensor?[node.Inputs.Count];
        for (int i = 0; i < node.Inputs.Count; i++)
        {
            var name = node.Inputs[i];
            if (name.Length == 0) continue;
            if (!infos.TryGetValue(name, out inInfos[i])) return;
            inConst[i] = constants.GetValueOrDefault(name);
        }
        NodeContext ctx;
        try { ctx = NodeEvaluation.Infer(op, node, inInfos, inConst, false, true, opset); }
        catch (Exception e) when (e is PrunusException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or NotSupportedException or ArithmeticException)
        { return; }
        for (int i = 0; i < node.Outputs.Count; i++)
            if (node.Outputs[i].Length > 0) infos[node.Outputs[i]] = ctx.OutputInfos[i];

        bool allConst = node.Inputs.All(n => n.Length == 0 || constants.ContainsKey(n));
        if (op.IsRandom || !NodeEvaluation.Folds(op, allConst, false)) return;
        Tensor[] outputs;
        // The same constant inputs as probe 0 give the same outputs: evaluate weight subgraphs once, not per probe.
        if (probe > 0 && allConst && first is not null && firstConstants is not null && SameReferences(inConst, firstConstants))
            outputs = first;
        else
        {
            try { outputs = NodeEvaluation.Evaluate(op, ctx, foldContext); }
            catch (Exception e) when (e is PrunusException or ArgumentException or InvalidOperationException or IndexOutOfRangeException or NotSupportedException or ArithmeticException)
            { return; }
            if (probe == 0) { first = outputs; firstConstants = inConst; }
        }
        for (int i = 0; i < node.Outputs.Count; i++)
            if (node.Outputs[i].Length > 0) constants[node.Outputs[i]] = outputs[i];
    }

    private static bool SameReferences(Tensor?[] a, Tensor?[] b)
    {
        if (a.Length != b.Length) return false;
        for (int i = 0; i < a.Length; i++) if (!ReferenceEquals(a[i], b[i])) return false;
        return true;
    }

    /// <summary>The value's info in every probe, or null when some probe does not know it.</summary>
    private TensorInfo[]? All(string value)
    {
        if (_infos.Count == 0) return null;
        var r = new TensorInfo[_infos.Count];
        for (int p = 0; p < r.Length; p++) if (!_infos[p].TryGetValue(value, out r[p])) return null;
        return r;
    }

    /// <summary>The element type, when known.</summary>
    public DataType? Type(string value) => All(value) is { } a && a.All(i => i.Type == a[0].Type) ? a[0].Type : null;

    /// <summary>The rank, when known.</summary>
    public int? Rank(string value) => All(value) is { } a && a.All(i => i.Rank == a[0].Rank) ? a[0].Rank : null;

    /// <summary>Each dimension's size where it is the same for every input size (null where it varies); null when the rank is unknown.</summary>
    public int?[]? Dims(string value)
    {
        if (All(value) is not { } a || Rank(value) is not { } rank) return null;
        var dims = new int?[rank];
        for (int d = 0; d < rank; d++) dims[d] = a.All(i => i.Shape[d] == a[0].Shape[d]) ? a[0].Shape[d] : null;
        return dims;
    }

    /// <summary>The shape when every dimension is static, else null.</summary>
    public int[]? StaticShape(string value) =>
        Dims(value) is { } dims && dims.All(d => d.HasValue) ? dims.Select(d => d!.Value).ToArray() : null;

    /// <summary>Whether the two values have equal shapes whatever the input sizes (and are both known).</summary>
    public bool SameShape(string a, string b)
    {
        if (All(a) is not { } x || All(b) is not { } y) return false;
        for (int p = 0; p < x.Length; p++) if (!x[p].Shape.AsSpan().SequenceEqual(y[p].Shape)) return false;
        return true;
    }

    /// <summary>The value when it is a constant, the same for every input size; else null.</summary>
    public Tensor? Constant(string value)
    {
        if (_constants.Count == 0 || !_constants[0].TryGetValue(value, out var t)) return null;
        for (int p = 1; p < _constants.Count; p++)
            if (!_constants[p].TryGetValue(value, out var u) || !SameTensor(t, u)) return null;
        return t;
    }

    private static bool SameTensor(Tensor a, Tensor b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a.Type != b.Type || !a.Shape.AsSpan().SequenceEqual(b.Shape)) return false;
        return a.Type switch
        {
            // Bitwise, so that NaN constants compare equal to themselves.
            DataType.Float32 => MemoryMarshal.Cast<float, int>(a.Span<float>()).SequenceEqual(MemoryMarshal.Cast<float, int>(b.Span<float>())),
            DataType.Float64 => MemoryMarshal.Cast<double, long>(a.Span<double>()).SequenceEqual(MemoryMarshal.Cast<double, long>(b.Span<double>())),
            DataType.Int64 => a.Span<long>().SequenceEqual(b.Span<long>()),
            DataType.Int32 => a.Span<int>().SequenceEqual(b.Span<int>()),
            DataType.Int16 => a.Span<short>().SequenceEqual(b.Span<short>()),
            DataType.UInt16 => a.Span<ushort>().SequenceEqual(b.Span<ushort>()),
            DataType.Int8 or DataType.Int4 => a.Span<sbyte>().SequenceEqual(b.Span<sbyte>()),
            DataType.UInt8 or DataType.UInt4 => a.Span<byte>().SequenceEqual(b.Span<byte>()),
            DataType.Bool => a.Span<bool>().SequenceEqual(b.Span<bool>()),
            _ => false,
        };
    }
}
