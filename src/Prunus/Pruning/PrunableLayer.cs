using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Pruning;

/// <summary>Which op a prunable weight feeds; it decides how the weight's memory maps to (output, reduction).</summary>
public enum LayerKind
{
    /// <summary>Conv (any spatial rank): W [K, C/group, k1, k2, ...]; output k, reduction index over (c, k1, k2, ...).</summary>
    Conv,
    /// <summary>Gemm with constant B: [N_out, K_in] when transB = 1, [K_in, N_out] otherwise.</summary>
    Gemm,
    /// <summary>MatMul whose second input is a constant 2-D matrix [K_in, N_out].</summary>
    MatMul,
}

/// <summary>
/// A constant weight that pruning may act on, seen as a matrix of <see cref="Outputs"/> rows (output channels or
/// features) by <see cref="Reduction"/> columns (what each output sums over), whatever its memory layout.
/// Unstructured, N:M and block masks are defined on this matrix: N:M groups run along a row (the reduction dimension),
/// blocks are <c>R x C</c> tiles of rows by columns.
/// </summary>
public sealed class PrunableLayer
{
    /// <summary>The node that reads the weight.</summary>
    public Node Node { get; }
    /// <summary>The weight's initializer name (masks are keyed by it).</summary>
    public string WeightName { get; }
    /// <summary>The weight tensor in the graph (values change in place as pruning applies masks).</summary>
    public Tensor Weight { get; }
    /// <summary>What the node is.</summary>
    public LayerKind Kind { get; }
    /// <summary>Rows: output channels (Conv) or output features (Gemm/MatMul).</summary>
    public int Outputs { get; }
    /// <summary>Columns: the terms each output sums over (C/group x kernel window for Conv, input features otherwise).</summary>
    public int Reduction { get; }
    /// <summary>Conv groups (1 for Gemm and MatMul).</summary>
    public int Groups { get; }
    /// <summary>True when memory holds the matrix transposed ([Reduction, Outputs]: MatMul, and Gemm without transB).</summary>
    public bool Transposed { get; }

    /// <summary>Name of the node, or of the weight when the node has none.</summary>
    public string Name => Node.Name.Length > 0 ? Node.Name : WeightName;
    /// <summary>The activation the layer reads (its input 0).</summary>
    public string InputName => Node.Inputs[0];
    /// <summary>Number of weights.</summary>
    public int Size => Weight.Length;

    internal PrunableLayer(Node node, string weightName, Tensor weight, LayerKind kind, int outputs, int reduction, int groups, bool transposed)
    {
        Node = node;
        WeightName = weightName;
        Weight = weight;
        Kind = kind;
        Outputs = outputs;
        Reduction = reduction;
        Groups = groups;
        Transposed = transposed;
    }

    /// <summary>Flat index into <see cref="Weight"/> of matrix entry (<paramref name="row"/>, <paramref name="col"/>).</summary>
    public int Index(int row, int col) => Transposed ? col * Outputs + row : row * Reduction + col;

    /// <summary>Fraction of the weight's entries that are exactly zero.</summary>
    public double Sparsity()
    {
        var w = Weight.Floats;
        int zeros = 0;
        foreach (var v in w) if (v == 0) zeros++;
        return w.Length == 0 ? 0 : (double)zeros / w.Length;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind} '{Name}' ({WeightName} {ShapeMath.Format(Weight.Shape)}: {Outputs} x {Reduction})";
}

/// <summary>Finds the weights of a graph that pruning may act on.</summary>
public static class PrunableLayers
{
    /// <summary>
    /// The Conv, Gemm and MatMul nodes of <paramref name="graph"/> whose weight is a float32 initializer, in graph
    /// order, each weight once (a weight shared by several nodes is listed with the first). Nodes or weights named in
    /// <paramref name="ignore"/> are left out; a name in it that matches nothing is an error (a typo would otherwise
    /// silently prune the layer the user meant to keep).
    /// </summary>
    public static IReadOnlyList<PrunableLayer> Find(ModelGraph graph, IReadOnlyCollection<string>? ignore = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ignore ??= [];
        var found = new List<PrunableLayer>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var matched = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in graph.Nodes)
        {
            if (node.Domain is not ("" or "ai.onnx") || node.Inputs.Count < 2) continue;
            var name = node.Inputs[1];
            if (!graph.Initializers.TryGetValue(name, out var w) || w.Type != DataType.Float32) continue;
            var layer = node.OpType switch
            {
                "Conv" when w.Rank >= 3 => new PrunableLayer(node, name, w, LayerKind.Conv, w.Shape[0], w.Length / Math.Max(1, w.Shape[0]),
                    (int)(node.Attributes.TryGetValue("group", out var g) ? g.Int : 1), transposed: false),
                "Gemm" when w.Rank == 2 => Gemm(node, name, w),
                "MatMul" when w.Rank == 2 => new PrunableLayer(node, name, w, LayerKind.MatMul, w.Shape[1], w.Shape[0], 1, transposed: true),
                _ => null,
            };
            if (layer is null) continue;
            if (ignore.Contains(node.Name) || ignore.Contains(name))
            {
                matched.Add(node.Name);
                matched.Add(name);
                continue;
            }
            if (seen.Add(name)) found.Add(layer);
        }
        var unknown = ignore.Where(n => !matched.Contains(n)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"ignored layer(s) {string.Join(", ", unknown.Select(n => $"'{n}'"))} are not prunable layers of the model; " +
                $"prunable: {string.Join(", ", found.Select(l => l.Name))}");
        return found;
    }

    private static PrunableLayer Gemm(Node node, string name, Tensor w)
    {
        bool transB = node.Attributes.TryGetValue("transB", out var t) && t.Int != 0;
        return transB ? new PrunableLayer(node, name, w, LayerKind.Gemm, w.Shape[0], w.Shape[1], 1, transposed: false)
            : new PrunableLayer(node, name, w, LayerKind.Gemm, w.Shape[1], w.Shape[0], 1, transposed: true);
    }
}
