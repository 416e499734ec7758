using Prunus.Graph.Ops;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Passes;

/// <summary>
/// Fuses an activation into the Conv, Gemm or MatMul that produces its input, so the kernel applies it to each block
/// of output while it is still in cache: Conv → FusedConv, Gemm → FusedGemm, MatMul with a 2-D right operand →
/// FusedMatMul, all in domain ai.prunus with an <c>activation</c> attribute (see <see cref="PrunusDomain"/>).
/// Activations: Relu, Clip with constant bounds (Relu6), LeakyRelu, HardSigmoid, HardSwish, Sigmoid, Tanh, Gelu.
/// A MatMul over a batch of matrices (A of rank 3 or more) followed by the Add of a per-column constant becomes a
/// FusedMatMul with that bias, as a 2-D one becomes a Gemm in <see cref="BiasFoldingPass"/>. A Conv followed by the Add
/// of a tensor of its output's shape (a residual connection) becomes a FusedConv with that tensor as input Z, so that
/// Conv → Add → Relu of a residual block is one kernel.
/// </summary>
/// <remarks>Not export-safe: the fused ops are Prunus's own. Inference only: they have no gradient.</remarks>
public sealed class ActivationFusionPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "activation-fusion";

    /// <inheritdoc/>
    public bool ExportSafe => false;

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        var facts = ShapeFacts.Of(graph);
        var editor = new GraphEditor(graph);
        int count = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (editor.IsRemoved(node)) continue;
            if (node.OpType == "Add" && node.Domain is "" or "ai.onnx" && (AbsorbBias(editor, facts, node) || AbsorbResidual(editor, facts, node)))
            {
                count++;
                continue;
            }
            if (Activation(node, facts) is not { } activation || node.InputOrNull(0) is not { } x) continue;
            if (editor.Producer(x) is not { } producer || editor.IsRemoved(producer) || !editor.OnlyFeeds(x, node)) continue;
            if (FusedOpType(producer, facts) is not { } fusedType) continue;
            var fused = new Node(fusedType, producer.Name, producer.Inputs, [node.Outputs[0]]) { Domain = PrunusDomain.Name, DocString = producer.DocString };
            foreach (var (k, v) in producer.Attributes) fused.Attributes[k] = v;
            foreach (var (k, v) in PrunusDomain.ActivationAttributes(activation)) fused.Attributes[k] = v;
            editor.Remove(producer);
            editor.Remove(node);
            editor.Add(fused, before: producer);
            editor.ImportPrunusDomain();
            count++;
        }
        editor.Commit();
        return count;
    }

    /// <summary>The fused op a producer becomes, or null when it cannot take an activation.</summary>
    private static string? FusedOpType(Node producer, ShapeFacts facts)
    {
        if (producer.Outputs.Count != 1) return null;
        // A fused op made earlier (with a bias or a residual) still takes an activation if it has none.
        if (producer.Domain == PrunusDomain.Name)
            return producer.OpType is "FusedMatMul" or "FusedConv" && !producer.Attributes.ContainsKey(PrunusDomain.ActivationAttribute) ? producer.OpType : null;
        if (producer.Domain is not ("" or "ai.onnx")) return null;
        return producer.OpType switch
        {
            // 1-D and 2-D only: wider convolutions run on a kernel without an activation epilogue.
            "Conv" when producer.InputOrNull(0) is { } x && facts.Rank(x) is 3 or 4 => "FusedConv",
            "Gemm" => "FusedGemm",
            "MatMul" when MatMulFusable(producer, facts) => "FusedMatMul",
            _ => null,
        };
    }

    // FusedMatMul takes A [..., M, K] (rank 2 or more) and B [K, N] in float.
    private static bool MatMulFusable(Node matMul, ShapeFacts facts) =>
        matMul.InputOrNull(0) is { } a && matMul.InputOrNull(1) is { } b
        && facts.Rank(a) >= 2 && facts.Rank(b) == 2 && facts.Type(a) == DataType.Float32 && facts.Type(b) == DataType.Float32;

    /// <summary>The activation <paramref name="node"/> computes, when it is one the kernels can apply; else null.</summary>
    private static FusedActivation? Activation(Node node, ShapeFacts facts)
    {
        bool standard = node.Domain is "" or "ai.onnx";
        if (!standard && !(node.Domain == PrunusDomain.Name && node.OpType == "Gelu")) return null;
        if (node.Outputs.Count != 1 || node.InputOrNull(0) is not { } x || facts.Type(x) != DataType.Float32) return null;
        float Attr(string name, float fallback) => node.Attributes.GetValueOrDefault(name)?.Float ?? fallback;
        switch (node.OpType)
        {
            case "Relu": return new FusedActivation(ActivationKind.Relu);
            case "LeakyRelu": return new FusedActivation(ActivationKind.LeakyRelu, Attr("alpha", 0.01f));
            case "HardSigmoid": return new FusedActivation(ActivationKind.HardSigmoid, Attr("alpha", 0.2f), Attr("beta", 0.5f));
            case "HardSwish": return new FusedActivation(ActivationKind.HardSwish);
            case "Sigmoid": return new FusedActivation(ActivationKind.Sigmoid);
            case "Tanh": return new FusedActivation(ActivationKind.Tanh);
            case "Gelu":
                return node.Attributes.GetValueOrDefault("approximate")?.String switch
                {
                    null or "none" => new FusedActivation(ActivationKind.Gelu),
                    "tanh" => new FusedActivation(ActivationKind.GeluTanh),
                    _ => null,
                };
            case "Clip":
                // Bounds: inputs from opset 11 (they must be constants here), attributes before; absent means unbounded.
                float? Bound(int input, string attribute, float unbounded)
                {
                    if (node.InputOrNull(input) is { } name)
                        return facts.Constant(name) is { Type: DataType.Float32, Length: 1 } t ? t.Floats[0] : null;
                    return Attr(attribute, unbounded);
                }
                return Bound(1, "min", float.MinValue) is { } min && Bound(2, "max", float.MaxValue) is { } max
                    ? new FusedActivation(min == 0 && max == float.MaxValue ? ActivationKind.Relu : ActivationKind.Clip, min, max)
                    : null;
            default: return null;
        }
    }

    /// <summary>Conv(x) + z, with z of the output's shape and read after the Conv: a FusedConv with residual input z.</summary>
    private static bool AbsorbResidual(GraphEditor editor, ShapeFacts facts, Node add)
    {
        if (add.Inputs.Count != 2 || add.Outputs.Count != 1 || add.Inputs[0] == add.Inputs[1]) return false;
        for (int side = 0; side < 2; side++)
        {
            var y = add.Inputs[side];
            var z = add.Inputs[1 - side];
            if (y.Length == 0 || z.Length == 0 || editor.Producer(y) is not { } conv || editor.IsRemoved(conv) || !editor.OnlyFeeds(y, add)) continue;
            bool plain = conv.OpType == "Conv" && conv.Domain is "" or "ai.onnx";
            bool fusedWithout = conv.OpType == "FusedConv" && conv.Domain == PrunusDomain.Name && conv.Inputs.Count < 4
                && !conv.Attributes.ContainsKey(PrunusDomain.ActivationAttribute);
            if (!(plain || fusedWithout) || conv.Outputs.Count != 1 || !facts.SameShape(y, z) || facts.Type(z) != DataType.Float32) continue;
            var inputs = conv.Inputs.ToList();
            while (inputs.Count < 3) inputs.Add("");
            inputs.Add(z);
            var fused = new Node("FusedConv", conv.Name, inputs, [add.Outputs[0]]) { Domain = PrunusDomain.Name, DocString = conv.DocString };
            foreach (var (k, v) in conv.Attributes) fused.Attributes[k] = v;
            editor.Remove(conv);
            editor.Remove(add);
            // At the Add's place: z may be computed after the Conv (a projection shortcut), and the Add reads both.
            editor.Add(fused, before: add);
            editor.ImportPrunusDomain();
            return true;
        }
        return false;
    }

    /// <summary>MatMul(A, B) + c with A of rank 3 or more, B [K,N] and c one value per column: a FusedMatMul with bias c.</summary>
    private static bool AbsorbBias(GraphEditor editor, ShapeFacts facts, Node add)
    {
        if (add.Inputs.Count != 2 || add.Outputs.Count != 1) return false;
        for (int side = 0; side < 2; side++)
        {
            var y = add.Inputs[side];
            var c = add.Inputs[1 - side];
            if (y.Length == 0 || c.Length == 0 || editor.Producer(y) is not { } matMul || editor.IsRemoved(matMul)) continue;
            if (matMul.OpType != "MatMul" || matMul.Domain is not ("" or "ai.onnx") || !MatMulFusable(matMul, facts) || !editor.OnlyFeeds(y, add)) continue;
            if (facts.Rank(matMul.Inputs[0]) is not { } rank || rank < 3 || facts.Dims(matMul.Inputs[1]) is not [_, { } n]) continue;
            if (AffineFolding.PerChannel(facts.Constant(c), 2, n) is not { } bias || facts.Rank(c) > rank) continue;
            var biasName = editor.AddInitializer(AffineFolding.BiasName(matMul.Inputs[1]), Tensor.From(bias.Select(v => (float)v).ToArray(), n));
            var fused = new Node("FusedMatMul", matMul.Name, [matMul.Inputs[0], matMul.Inputs[1], biasName], [add.Outputs[0]])
            { Domain = PrunusDomain.Name, DocString = matMul.DocString };
            editor.Remove(matMul);
            editor.Remove(add);
            editor.Add(fused, before: matMul);
            editor.ImportPrunusDomain();
            return true;
        }
        return false;
    }
}
