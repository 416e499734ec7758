using Prunus.Graph.Ops;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Graph.Planning;

/// <summary>
/// Compiles a graph for concrete input shapes: validates it, orders it, infers every shape, folds what is constant,
/// creates a kernel per node and binds every tensor (reusing buffers by liveness in inference plans).
/// </summary>
public static class Planner
{
    /// <summary>Compiles <paramref name="graph"/> for the given data-input shapes.</summary>
    public static Plan Compile(ModelGraph graph, IReadOnlyDictionary<string, int[]> inputShapes, PlanOptions? options = null)
    {
        options ??= new PlanOptions();
        var order = GraphValidation.TopologicalOrder(graph);
        GraphValidation.ThrowIfUnsupported(graph);

        var infos = new Dictionary<string, TensorInfo>(StringComparer.Ordinal);
        var constants = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var values = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var parameters = options.Training ? Trainability.TrainableInitializers(graph) : [];
        bool weightsConstant = options.WeightsAreConstant;

        foreach (var (name, t) in graph.Initializers)
        {
            infos[name] = new TensorInfo(t.Type, t.Shape);
            values[name] = t;
            // Float initializers may change between runs unless the plan owns them as constants.
            if (weightsConstant || t.Type != DataType.Float32) constants[name] = t;
        }
        foreach (var input in graph.DataInputs)
        {
            if (!inputShapes.TryGetValue(input.Name, out var shape))
                shape = input.Dims is null ? throw new ModelException($"no shape given for input '{input.Name}', which declares none")
                    : input.Concrete(1);
            CheckInputShape(input, shape);
            // Imported models may declare element types (float16, uint16, ...) that no Prunus tensor can hold.
            if (input.Type == DataType.Undefined || !Enum.IsDefined(input.Type))
                throw new ModelException($"input '{input.Name}' has element type {(int)input.Type} (ONNX numbering), which Prunus cannot store");
            infos[input.Name] = new TensorInfo(input.Type, shape);
        }
        foreach (var name in inputShapes.Keys)
            if (!graph.DataInputs.Any(i => i.Name == name))
                throw new ModelException($"the model has no input named '{name}'; its inputs are: {string.Join(", ", graph.DataInputs.Select(i => i.Name))}");

        var needed = NeededNodes(graph, order, options);
        var runCtx = new RunContext(options.Pool ?? WorkerPool.Default, options.Training, options.Seed);
        var foldCtx = new RunContext(new WorkerPool(1), false);
        var steps = new List<PlanStep>();
        var contexts = new List<NodeContext>();
        foreach (var node in order)
        {
            if (!needed.Contains(node)) continue;
            var op = OpRegistry.Find(node.Domain, node.OpType)!;
            var inInfos = node.Inputs.Select(n => n.Length == 0 ? default : infos[n]).ToArray();
            var inConst = node.Inputs.Select(n => n.Length == 0 ? null : constants.GetValueOrDefault(n)).ToArray();
            var ctx = NodeEvaluation.Infer(op, node, inInfos, inConst, options.Training, weightsConstant, graph.Metadata.Opset);
            var outInfos = ctx.OutputInfos;
            for (int i = 0; i < node.Outputs.Count; i++)
                if (node.Outputs[i].Length > 0) infos[node.Outputs[i]] = outInfos[i];

            bool allConst = node.Inputs.All(n => n.Length == 0 || constants.ContainsKey(n));
            if (NodeEvaluation.Folds(op, allConst, options.Training))
            {
                var folded = NodeEvaluation.Evaluate(op, ctx, foldCtx);
                for (int i = 0; i < node.Outputs.Count; i++)
                    if (node.Outputs[i].Length > 0) { constants[node.Outputs[i]] = folded[i]; values[node.Outputs[i]] = folded[i]; }
                continue;
            }
            steps.Add(new PlanStep(node, op, op.CreateKernel(ctx), op.IsView(ctx)));
            contexts.Add(ctx);
        }

        long activationBytes = BufferAssignment.Bind(graph, steps, infos, values, options);
        var grads = options.NeedsGradients ? GradientBinding.Bind(graph, steps, infos, parameters, options) : new Dictionary<string, Tensor>();
        foreach (var step in steps)
        {
            var k = step.Kernel;
            k.Inputs = step.Node.Inputs.Select(n => n.Length == 0 ? null! : values[n]).ToArray();
            k.Outputs = step.Node.Outputs.Select(n => n.Length == 0 ? null! : values[n]).ToArray();
            if (k.OutputGrads.Length == 0) k.OutputGrads = new Tensor?[k.Outputs.Length];
            if (k.InputGrads.Length == 0) k.InputGrads = new Tensor?[k.Inputs.Length];
        }
        foreach (var o in graph.Outputs)
            if (!values.ContainsKey(o.Name)) throw new ModelException($"graph output '{o.Name}' is not produced by any node");
        return new Plan(graph, options, runCtx, steps.ToArray(), values, grads, parameters, infos, activationBytes);
    }

    /// <summary>Compiles for a single data input of the given shape.</summary>
    public static Plan Compile(ModelGraph graph, int[] inputShape, PlanOptions? options = null)
    {
        var first = graph.DataInputs.FirstOrDefault() ?? throw new ModelException("the model has no data input");
        return Compile(graph, new Dictionary<string, int[]> { [first.Name] = inputShape }, options);
    }

    private static void CheckInputShape(ValueInfo input, int[] shape)
    {
        if (input.Dims is null) return;
        bool ok = input.Dims.Length == shape.Length;
        for (int i = 0; ok && i < shape.Length; i++) ok = input.Dims[i].Value is not { } v || v == shape[i];
        if (!ok)
            throw new DataException($"input '{input.Name}' expects shape [{string.Join(",", input.Dims)}] but got {ShapeMath.Format(shape)}");
    }

    /// <summary>Nodes that contribute to an output or a kept value; others are dead and not planned.</summary>
    private static HashSet<Node> NeededNodes(ModelGraph graph, List<Node> order, PlanOptions options)
    {
        var wanted = new HashSet<string>(graph.Outputs.Select(o => o.Name), StringComparer.Ordinal);
        wanted.UnionWith(options.KeepValues);
        var needed = new HashSet<Node>();
        for (int i = order.Count - 1; i >= 0; i--)
        {
            var n = order[i];
            if (!n.Outputs.Any(wanted.Contains)) continue;
            needed.Add(n);
            foreach (var input in n.Inputs) if (input.Length > 0) wanted.Add(input);
        }
        return needed;
    }
}
