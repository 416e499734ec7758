using Prunus.Graph.Ops;

namespace Prunus.Graph.Passes;

/// <summary>
/// Replaces nodes whose outputs are known ahead of time by initializers: nodes whose inputs are all initializers or
/// constants (Constant nodes included), and shape-only nodes (Shape, Size) of values whose shape is static. Each is
/// evaluated with its op's own kernel, by the rules the planner folds with at plan time; random ops are never folded.
/// </summary>
/// <remarks>
/// Only the folded values that unfolded nodes read become initializers (a folded chain leaves one initializer, not one
/// per step). Nodes that write a graph output stay; DequantizeLinear and QuantizeLinear stay, with the values computed
/// from them (see KeptForQuantization); and so do folds that would blow the model up (an Expand or Tile of a small
/// constant into a large one, beyond <see cref="MaxGrowth"/>).
/// </remarks>
public sealed class ConstantFoldingPass : IGraphPass
{
    /// <summary>A fold may not make a value more than this many times larger than the node's inputs (above 64K elements).</summary>
    public int MaxGrowth { get; init; } = 16;

    /// <inheritdoc/>
    public string Name => "constant-folding";

    /// <inheritdoc/>
    public bool ExportSafe => true;

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        var facts = ShapeFacts.Of(graph);
        var editor = new GraphEditor(graph);
        var folded = new HashSet<Node>();
        // Values computed from a kept quantization node's output (DequantizeLinear -> Transpose -> ..., in graph order):
        // folding them would store the dequantized float weight after all, and leave the int8 one dead.
        var fromQuantized = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            var op = OpRegistry.Find(node.Domain, node.OpType);
            if (KeptForQuantization(node) || op is not null && !op.DependsOnlyOnShapes && node.Inputs.Any(fromQuantized.Contains))
            {
                foreach (var o in node.Outputs) if (o.Length > 0) fromQuantized.Add(o);
                continue;
            }
            if (op is null || op.IsRandom) continue;
            var outputs = node.Outputs.Where(o => o.Length > 0).ToList();
            if (outputs.Count == 0 || outputs.Any(o => editor.IsGraphOutput(o) || facts.Constant(o) is null)) continue;
            if (node.OpType != "Constant" && TooLarge(facts, node, outputs.Sum(o => (long)facts.Constant(o)!.Length))) continue;
            folded.Add(node);
        }
        foreach (var node in folded)
        {
            foreach (var o in node.Outputs)
                if (o.Length > 0 && editor.Consumers(o).Any(c => !folded.Contains(c)))
                    graph.Initializers[o] = facts.Constant(o)!;
            editor.Remove(node);
        }
        editor.Commit();
        return folded.Count;
    }

    // Quantization nodes on constants are the quantized model itself, not arithmetic to precompute. DequantizeLinear of
    // an int8 (or int4) weight is how a QDQ model stores that weight: folding it would write the weight back as float32
    // (4 to 8 times larger) and erase the pattern that integer kernels (QLinearConv, MatMulInteger, ...) are chosen
    // from. QuantizeLinear of a float initializer is where quantization-aware graphs keep the float master weight that
    // training and pruning still update; folding it would freeze one int8 copy in its place. Both stay for the planner,
    // which evaluates them once per plan when the weights are constant.
    private static bool KeptForQuantization(Node node) =>
        node.Domain is "" or "ai.onnx" && node.OpType is "DequantizeLinear" or "QuantizeLinear";

    private bool TooLarge(ShapeFacts facts, Node node, long outputLength)
    {
        long inputLength = node.Inputs.Where(i => i.Length > 0).Sum(i => (long)(facts.Constant(i)?.Length ?? 0));
        return outputLength > 1 << 16 && outputLength > MaxGrowth * Math.Max(inputLength, 1);
    }
}
