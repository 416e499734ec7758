namespace Prunus.Graph.Passes;

/// <summary>
/// Folds arithmetic with a per-channel constant after a Conv, Gemm or 2-D MatMul into the producer: y + c, c + y and
/// y − c into its bias, y·c, c·y and y / c into its weights and bias, where c has one value per output channel (or one
/// for all) and does not broadcast y to a larger shape. A 2-D MatMul followed by such an Add becomes a Gemm with bias.
/// </summary>
public sealed class BiasFoldingPass : IGraphPass
{
    /// <inheritdoc/>
    public string Name => "bias-folding";

    /// <inheritdoc/>
    public bool ExportSafe => true;

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        var facts = ShapeFacts.Of(graph);
        var editor = new GraphEditor(graph);
        int count = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (editor.IsRemoved(node) || node.Domain is not ("" or "ai.onnx") || node.OpType is not ("Add" or "Sub" or "Mul" or "Div")
                || node.Inputs.Count != 2) continue;
            for (int side = 0; side < 2; side++)
            {
                // Sub and Div fold only with the product on the left: c - y and c / y are not affine in the weights.
                if (side == 1 && node.OpType is "Sub" or "Div") break;
                var y = node.Inputs[side];
                var c = node.Inputs[1 - side];
                if (y.Length == 0 || c.Length == 0 || editor.Producer(y) is not { } producer || !AffineFolding.IsProducer(producer)) continue;
                if (AffineFolding.Output(editor, facts, producer) is not var (rank, k)) continue;
                if (AffineFolding.PerChannel(facts.Constant(c), rank, k) is not { } v) continue;
                if (node.OpType == "Div" && v.Any(e => e == 0)) continue;
                var (scale, shift) = node.OpType switch
                {
                    "Add" => ((double[]?)null, v),
                    "Sub" => (null, v.Select(e => -e).ToArray()),
                    "Mul" => (v, new double[k]),
                    _ => (v.Select(e => 1 / e).ToArray(), new double[k]),
                };
                if (AffineFolding.Fold(editor, facts, producer, node, scale, shift)) { count++; break; }
            }
        }
        editor.Commit();
        return count;
    }
}
