using System.Text.RegularExpressions;
using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Ops;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Conformance;

/// <summary>
/// Runs one ONNX backend case through Prunus: loads the model, skips it when an op (of the graph, its subgraphs or
/// its functions) is not in <see cref="OpRegistry"/> or a graph input or output has an element type Prunus cannot
/// store, and otherwise compiles a plan per test data set, binds input_K.pb to the K-th data input, runs it and
/// compares output_K.pb with the K-th graph output (<see cref="TensorComparison"/>). When the plan needs an input's
/// value at plan time, that input is bound as a constant and the plan compiled again.
/// </summary>
public static class ConformanceRunner
{
    /// <summary>The planner's message for an input that must be known at plan time; group 1 is the value's name.</summary>
    private static readonly Regex NeedsConstant = new(@"input \d+ \('([^']*)'\) must be a constant or computable from shapes at plan time");

    /// <summary>Runs <paramref name="c"/>; never throws for a defect of the case or of Prunus (that is a failure).</summary>
    public static CaseResult Run(BackendCase c)
    {
        var (result, graph) = RunCase(c);
        return graph is null ? result : result with { Ops = OpTypes(graph) };
    }

    private static (CaseResult, ModelGraph?) RunCase(BackendCase c)
    {
        if (!File.Exists(c.ModelPath)) return (CaseResult.Skip(c, "no model.onnx"), null);
        ModelGraph graph;
        try { graph = OnnxReader.Load(c.ModelPath); }
        catch (ModelException e) when (e.Message.Contains("which Prunus cannot load", StringComparison.Ordinal))
        { return (CaseResult.Skip(c, "holds a tensor of an element type Prunus cannot store"), null); }
        catch (ModelException e) { return (CaseResult.Fail(c, $"model does not load: {e.Message}"), null); }

        var missing = MissingOps(graph);
        if (missing.Count > 0) return (CaseResult.Skip(c, $"needs {string.Join(", ", missing)}", missing), graph);
        foreach (var v in graph.DataInputs.Concat(graph.Outputs))
        {
            if (v.FullType is not null) return (CaseResult.Skip(c, $"value '{v.Name}' is a {v.FullType}, not a tensor"), graph);
            if (!Storable(v.Type)) return (CaseResult.Skip(c, $"value '{v.Name}' has element type {(int)v.Type}, which Prunus cannot store"), graph);
        }
        var sets = c.DataSets;
        if (sets.Count == 0) return (CaseResult.Skip(c, "no test data set"), graph);

        bool frozen = false;
        foreach (var set in sets)
        {
            string label = Path.GetFileName(set);
            Tensor[] inputs, expected;
            try
            {
                inputs = BackendCase.Files(set, "input_").Select(f => OnnxReader.LoadTensor(f)).ToArray();
                expected = BackendCase.Files(set, "output_").Select(f => OnnxReader.LoadTensor(f)).ToArray();
            }
            catch (ModelException e) { return (CaseResult.Skip(c, $"{label}: a tensor cannot be loaded ({e.Message})"), graph); }
            string? failure;
            try { failure = RunDataSet(graph, inputs, expected, ref frozen); }
            // Any exception is a failure of this case (a crash in a kernel is a bug to report, not a reason to stop the walk).
            catch (Exception e)
            { failure = $"{e.GetType().Name}: {e.Message}"; }
            if (failure is not null) return (CaseResult.Fail(c, $"{label}: {failure}") with { FrozeInputs = frozen }, graph);
        }
        return (CaseResult.Pass(c) with { FrozeInputs = frozen }, graph);
    }

    private static string? RunDataSet(ModelGraph graph, Tensor[] inputs, Tensor[] expected, ref bool frozen)
    {
        var dataInputs = graph.DataInputs.ToList();
        if (inputs.Length != dataInputs.Count)
            return $"{inputs.Length} input files for {dataInputs.Count} data inputs ({string.Join(", ", dataInputs.Select(i => i.Name))})";
        if (expected.Length != graph.Outputs.Count)
            return $"{expected.Length} output files for {graph.Outputs.Count} graph outputs";
        var shapes = new Dictionary<string, int[]>(StringComparer.Ordinal);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (inputs[i].Type != dataInputs[i].Type)
                return $"input '{dataInputs[i].Name}' is declared {dataInputs[i].Type} but its test data is {inputs[i].Type}";
            shapes[dataInputs[i].Name] = inputs[i].Shape;
        }
        Plan plan;
        bool cloned = false;
        while (true)
        {
            try
            {
                plan = Planner.Compile(graph, shapes, new PlanOptions { Pool = TestPools.One });
                break;
            }
            catch (ModelException e) when (NeedsConstant.Match(e.Message) is { Success: true } m
                && DataInputsFeeding(graph, m.Groups[1].Value).Where(shapes.ContainsKey).ToList() is { Count: > 0 } deciding)
            {
                // A plan is compiled for known shapes, so an input that decides shapes (Reshape's shape, Resize's
                // scales, a window's size through arithmetic, ...) must be known at plan time: bind it as a constant,
                // as a caller compiling per input would.
                if (!cloned) { graph = graph.Clone(); cloned = true; }
                foreach (var name in deciding)
                {
                    graph.Initializers[name] = inputs[dataInputs.FindIndex(v => v.Name == name)];
                    shapes.Remove(name);
                }
                frozen = true;
            }
        }
        for (int i = 0; i < inputs.Length; i++)
            if (shapes.ContainsKey(dataInputs[i].Name)) plan.Input(dataInputs[i].Name).CopyFrom(inputs[i]);
        plan.Run();
        var differences = new List<string>();
        for (int k = 0; k < expected.Length; k++)
            if (TensorComparison.Difference($"output '{graph.Outputs[k].Name}'", expected[k], plan.Output(k)) is { } d) differences.Add(d);
        return differences.Count == 0 ? null : string.Join("; ", differences);
    }

    /// <summary>The graph inputs that <paramref name="value"/> is, or is computed from (through any chain of nodes).</summary>
    private static IEnumerable<string> DataInputsFeeding(ModelGraph graph, string value)
    {
        var producers = new Dictionary<string, Node>(StringComparer.Ordinal);
        foreach (var n in graph.Nodes) foreach (var o in n.Outputs) if (o.Length > 0) producers[o] = n;
        var inputs = graph.DataInputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal) { value };
        var pending = new Stack<string>([value]);
        while (pending.TryPop(out var v))
        {
            if (inputs.Contains(v)) yield return v;
            if (!producers.TryGetValue(v, out var node)) continue;
            foreach (var i in node.Inputs) if (i.Length > 0 && seen.Add(i)) pending.Push(i);
        }
    }

    /// <summary>Op types (domain-qualified outside the default domain) of every node, subgraph and function that the registry lacks.</summary>
    public static IReadOnlyList<string> MissingOps(ModelGraph graph) =>
        AllNodes(graph).Where(n => OpRegistry.Find(n.Domain, n.OpType) is null).Select(Qualified).Distinct().Order(StringComparer.Ordinal).ToList();

    /// <summary>Op types of every node, subgraph and function of <paramref name="graph"/>.</summary>
    public static IReadOnlyList<string> OpTypes(ModelGraph graph) => AllNodes(graph).Select(Qualified).Distinct().Order(StringComparer.Ordinal).ToList();

    private static string Qualified(Node n) => n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}";

    private static IEnumerable<Node> AllNodes(ModelGraph graph)
    {
        static IEnumerable<Node> Walk(IEnumerable<Node> nodes)
        {
            foreach (var n in nodes)
            {
                yield return n;
                foreach (var a in n.Attributes.Values)
                {
                    if (a.Graph is { } g) foreach (var s in Walk(g.Nodes)) yield return s;
                    foreach (var sub in a.GraphList) foreach (var s in Walk(sub.Nodes)) yield return s;
                }
            }
        }
        return Walk(graph.Nodes).Concat(graph.Metadata.Functions.SelectMany(f => Walk(f.Nodes)));
    }

    private static bool Storable(DataType t) => t != DataType.Undefined && Enum.IsDefined(t);
}
