using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Pruning.Structured;

/// <summary>
/// Parameters or FLOPs of the graph as a function of the channels removed, counted as
/// <see cref="Graph.Analysis.ModelSummary"/> counts them: a sum of terms, each a constant times the number of kept
/// positions along some channel axes. Removing a class updates only the terms it touches, so global selection can
/// ask the exact cost of every step.
/// </summary>
internal sealed class CostModel
{
    private readonly List<double> _coef = [];
    private readonly List<int[]> _termFactors = [];
    private readonly List<int[]> _factors = [];
    private readonly Dictionary<int[], int> _factorIds = new(ReferenceEqualityComparer.Instance);
    private double[] _counts = [];
    private double[] _values = [];
    private List<(int Factor, int Count)>[] _byClass = [];
    private List<int>[] _termsOfFactor = [];

    /// <summary>The current total.</summary>
    public double Total { get; private set; }

    /// <summary>Parameters: every float initializer read by a node, once.</summary>
    public static CostModel Parameters(ChannelAnalysis analysis)
    {
        var model = new CostModel();
        var graph = analysis.Graph;
        var axes = AxisClasses(analysis);
        var counted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
            foreach (var input in node.Inputs)
            {
                if (input.Length == 0 || !graph.Initializers.TryGetValue(input, out var t) || t.Type != DataType.Float32 || !counted.Add(input)) continue;
                double coef = 1;
                var factors = new List<int[]>();
                for (int a = 0; a < t.Rank; a++)
                    if (axes.TryGetValue((input, a), out var classes)) factors.Add(classes);
                    else coef *= t.Shape[a];
                model.AddTerm(coef, factors);
            }
        return model.Seal(analysis);
    }

    /// <summary>FLOPs at batch size <paramref name="batch"/> (a multiply-add counts 2 in Conv, ConvTranspose, Gemm, MatMul).</summary>
    public static CostModel Flops(ChannelAnalysis analysis, int batch)
    {
        var model = new CostModel();
        foreach (var (_, coef, factors) in NodeTerms(analysis, batch)) model.AddTerm(coef, factors);
        return model.Seal(analysis);
    }

    /// <summary>
    /// Predicted latency as a fraction of the measured one, summed over the batch sizes of <paramref name="measured"/>
    /// (so the full model costs one per batch size). Each node's time is assumed proportional to its FLOPs term (its
    /// output size for ops without multiply-adds): a node that loses half its output channels and keeps its inputs
    /// takes half its time. This is an approximation: per-call overhead does not shrink with the channels, so at small
    /// batches the prediction is optimistic. What a node's time cannot be tied to (a node whose name is missing or
    /// repeated, a step the optimizer created) stays as a constant, so the fraction still counts it.
    /// </summary>
    public static CostModel Latency(ChannelAnalysis analysis, IReadOnlyList<LayerTimes> measured)
    {
        ArgumentNullException.ThrowIfNull(measured);
        if (measured.Count == 0) throw new ArgumentException("a latency cost needs layer times at one batch size at least", nameof(measured));
        var model = new CostModel();
        var repeated = analysis.Graph.Nodes.GroupBy(n => n.Name).Where(g => g.Count() > 1).Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var m in measured)
        {
            double total = m.NodeMs.Values.Sum();
            if (!(total > 0)) throw new ArgumentException($"the layer times at batch {m.Batch} sum to {total} ms; measure them again", nameof(measured));
            double matched = 0;
            foreach (var (node, coef, factors) in NodeTerms(analysis, m.Batch))
            {
                if (node.Name.Length == 0 || repeated.Contains(node.Name) || !m.NodeMs.TryGetValue(node.Name, out var ms) || !(ms > 0)) continue;
                double full = factors.Aggregate(coef, (p, f) => p * f.Length);
                if (!(full > 0)) continue;
                model.AddTerm(coef * (ms / total) / full, factors);
                matched += ms;
            }
            model.AddTerm(Math.Max(0, total - matched) / total, []);
        }
        return model.Seal(analysis);
    }

    /// <summary>
    /// One term per node of the analysed graph: its FLOPs at <paramref name="batch"/> (its output size for ops without
    /// multiply-adds) as a constant times the kept counts of the channel axes it depends on.
    /// </summary>
    private static List<(Node Node, double Coef, List<int[]> Factors)> NodeTerms(ChannelAnalysis analysis, int batch)
    {
        var graph = analysis.Graph;
        var unsupported = GraphValidation.UnsupportedOps(graph);
        if (unsupported.Count > 0 || graph.DataInputs.Any(i => i.Dims is null))
            throw new ArgumentException("FLOPs cannot be counted for this model (unsupported ops or inputs without a declared shape); use a parameter or channel target");
        var shapes = graph.DataInputs.ToDictionary(i => i.Name, i => i.Concrete(batch));
        using var pool = new WorkerPool(1);
        var infos = Planner.Compile(graph, shapes, new PlanOptions { ConstantWeights = false, Pool = pool }).Infos;
        var axes = AxisClasses(analysis);
        var terms = new List<(Node, double, List<int[]>)>();
        int[] Shape(string v) => v.Length > 0 && infos.TryGetValue(v, out var i) ? i.Shape : [];

        // The size of a value with its channel axis (if it carries classes) as a factor.
        (double Coef, List<int[]> Factors) Size(string value)
        {
            var shape = Shape(value);
            double coef = 1;
            var factors = new List<int[]>();
            (int Axis, int[] Classes)? map = analysis.Values.TryGetValue(value, out var m) ? m : null;
            for (int a = 0; a < shape.Length; a++)
                if (map is { } mm && mm.Axis == a && mm.Classes.Length == shape[a]) factors.Add(mm.Classes);
                else coef *= shape[a];
            return (coef, factors);
        }

        foreach (var node in graph.Nodes)
        {
            var output = node.Outputs.Count > 0 ? node.Outputs[0] : "";
            var (coef, factors) = Size(output);
            switch (node.OpType)
            {
                case "Conv" or "FusedConv":
                {
                    var w = Shape(node.Inputs[1]);
                    coef *= 2;
                    for (int a = 1; a < w.Length; a++)
                        if (axes.TryGetValue((node.Inputs[1], a), out var c)) factors.Add(c); else coef *= w[a];
                    break;
                }
                case "ConvTranspose":
                {
                    (coef, factors) = Size(node.Inputs[0]);
                    var w = Shape(node.Inputs[1]);
                    coef *= 2;
                    for (int a = 1; a < w.Length; a++)
                        if (axes.TryGetValue((node.Inputs[1], a), out var c)) factors.Add(c); else coef *= w[a];
                    break;
                }
                case "Gemm" or "FusedGemm":
                {
                    bool transA = node.Attributes.TryGetValue("transA", out var ta) && ta.Int != 0;
                    coef *= 2;
                    ReductionFactor(node.Inputs[0], transA ? 0 : 1, ref coef, factors);
                    break;
                }
                case "MatMul" or "FusedMatMul":
                {
                    coef *= 2;
                    ReductionFactor(node.Inputs[0], Shape(node.Inputs[0]).Length - 1, ref coef, factors);
                    break;
                }
            }
            terms.Add((node, coef, factors));
        }
        return terms;

        void ReductionFactor(string a, int axis, ref double coef, List<int[]> factors)
        {
            var shape = Shape(a);
            if (axis < 0 || shape.Length == 0) return;
            if (analysis.Values.TryGetValue(a, out var m) && m.Axis == axis && m.Classes.Length == shape[axis]) factors.Add(m.Classes);
            else coef *= shape[axis];
        }
    }

    /// <summary>For each (initializer, axis) sliced by some member, the classes along it.</summary>
    private static Dictionary<(string, int), int[]> AxisClasses(ChannelAnalysis analysis)
    {
        var axes = new Dictionary<(string, int), int[]>();
        foreach (var s in analysis.Slices)
            if (s.Tensor is not null && s.Role is not (MemberRole.ReshapeTarget or MemberRole.SplitSizes) && analysis.Constants.Contains(s.Tensor))
                axes.TryAdd((s.Tensor, s.Axis), s.Classes);
        return axes;
    }

    private void AddTerm(double coef, List<int[]> factors)
    {
        var ids = new int[factors.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            if (!_factorIds.TryGetValue(factors[i], out var id))
            {
                _factorIds[factors[i]] = id = _factors.Count;
                _factors.Add(factors[i]);
            }
            ids[i] = id;
        }
        _coef.Add(coef);
        _termFactors.Add(ids);
    }

    private CostModel Seal(ChannelAnalysis analysis)
    {
        _counts = _factors.Select(f => (double)f.Length).ToArray();
        _byClass = Enumerable.Range(0, analysis.ClassGroup.Length).Select(_ => new List<(int, int)>()).ToArray();
        _termsOfFactor = _factors.Select(_ => new List<int>()).ToArray();
        for (int f = 0; f < _factors.Count; f++)
            foreach (var g in _factors[f].Where(c => c >= 0).GroupBy(c => c))
                _byClass[g.Key].Add((f, g.Count()));
        for (int t = 0; t < _termFactors.Count; t++)
            foreach (var f in _termFactors[t].Distinct()) _termsOfFactor[f].Add(t);
        _values = new double[_coef.Count];
        for (int t = 0; t < _values.Length; t++) { _values[t] = Value(t); Total += _values[t]; }
        return this;
    }

    private double Value(int term)
    {
        double v = _coef[term];
        foreach (var f in _termFactors[term]) v *= _counts[f];
        return v;
    }

    /// <summary>Removes (or, with <paramref name="restore"/>, puts back) class <paramref name="cls"/>; updates <see cref="Total"/>.</summary>
    public void Remove(int cls, bool restore = false)
    {
        var touched = new HashSet<int>();
        foreach (var (f, count) in _byClass[cls])
        {
            _counts[f] += restore ? count : -count;
            touched.UnionWith(_termsOfFactor[f]);
        }
        foreach (var t in touched)
        {
            double v = Value(t);
            Total += v - _values[t];
            _values[t] = v;
        }
    }

    /// <summary>The total with <paramref name="classes"/> removed (the model is left as it was).</summary>
    public double With(IEnumerable<int> classes)
    {
        var list = classes.ToList();
        foreach (var c in list) Remove(c);
        double total = Total;
        foreach (var c in list) Remove(c, restore: true);
        return total;
    }
}
