using Prunus.Graph.Ops;
using Prunus.Tensors;

namespace Prunus.Graph.Passes;

/// <summary>
/// Fuses the decomposed layer normalization of exporters into one LayerNormalization node:
/// mean = ReduceMean(x), d = x − mean, var = ReduceMean(d² (Pow(d, 2) or d·d)), y = d / Sqrt(var + ε), then optionally
/// y·scale and + bias with constants, the reductions over the same trailing axes with keepdims. Exact: it computes
/// what the pattern computes.
/// </summary>
/// <remarks>
/// LayerNormalization entered the ONNX default domain at opset 17. For models of an older opset the fused node goes
/// to domain ai.prunus when <c>allowInternalOps</c> is set (not export-safe), and the pattern is left alone otherwise.
/// </remarks>
public sealed class LayerNormFusionPass(bool allowInternalOps) : IGraphPass
{
    /// <summary>The first default-domain opset with LayerNormalization.</summary>
    public const long LayerNormOpset = 17;

    /// <inheritdoc/>
    public string Name => "layernorm-fusion";

    /// <inheritdoc/>
    public bool ExportSafe => !allowInternalOps;

    /// <inheritdoc/>
    public int Apply(ModelGraph graph)
    {
        bool standard = graph.Metadata.Opset >= LayerNormOpset;
        if (!standard && !allowInternalOps) return 0;
        var facts = ShapeFacts.Of(graph);
        var editor = new GraphEditor(graph);
        int count = 0;
        foreach (var node in graph.Nodes.ToList())
        {
            if (editor.IsRemoved(node) || !Patterns.Is(node, "ReduceMean") || Match(editor, facts, node) is not { } m) continue;
            var inputs = new List<string> { m.X, editor.AddInitializer(m.X + "_ln_scale", m.Scale) };
            if (m.Bias is not null) inputs.Add(editor.AddInitializer(m.X + "_ln_bias", m.Bias));
            var ln = new Node("LayerNormalization", editor.UniqueName(node.Name.Length > 0 ? node.Name + "_layernorm" : "layernorm"), inputs, [m.Output])
            { Domain = standard ? "" : PrunusDomain.Name };
            ln.Attributes["axis"] = AttributeValue.Of((long)m.Axis);
            ln.Attributes["epsilon"] = AttributeValue.Of((float)m.Epsilon);
            foreach (var n in m.Nodes) editor.Remove(n);
            editor.Add(ln, before: node);
            if (!standard) editor.ImportPrunusDomain();
            count++;
        }
        editor.Commit();
        return count;
    }

    private sealed record Found(string X, int Axis, double Epsilon, Tensor Scale, Tensor? Bias, string Output, List<Node> Nodes);

    private static Found? Match(GraphEditor editor, ShapeFacts facts, Node mean)
    {
        var x = mean.InputOrNull(0);
        if (x is null || facts.Type(x) != DataType.Float32 || facts.Dims(x) is not { } dims) return null;
        if (TrailingAxes(mean, facts, dims.Length) is not { } axis) return null;
        // Normalized dimensions must be static: scale and bias are materialized over them.
        var normalized = dims[axis..];
        if (normalized.Any(d => d is null)) return null;
        var shape = normalized.Select(d => d!.Value).ToArray();

        if (editor.SoleConsumer(mean.Outputs[0]) is not { } sub || !Patterns.Is(sub, "Sub") || sub.Inputs.Count != 2
            || sub.Inputs[0] != x || sub.Inputs[1] != mean.Outputs[0]) return null;
        var d = sub.Outputs[0];
        if (editor.IsGraphOutput(d) || editor.IsCaptured(d) || editor.Consumers(d) is not { Count: 2 } readers) return null;
        // d feeds the square and the division (the square may be d·d, one node reading d twice).
        var square = readers.FirstOrDefault(r => Patterns.Is(r, "Pow") && r.Inputs.Count == 2 && r.Inputs[0] == d && Patterns.IsScalar(facts, r.Inputs[1], 2)
            || Patterns.Is(r, "Mul") && r.Inputs.Count == 2 && r.Inputs[0] == d && r.Inputs[1] == d);
        var div = readers.FirstOrDefault(r => Patterns.Is(r, "Div") && r.Inputs.Count == 2 && r.Inputs[0] == d);
        if (square is null || div is null || square == div) return null;
        if (editor.SoleConsumer(square.Outputs[0]) is not { } variance || !Patterns.Is(variance, "ReduceMean")
            || TrailingAxes(variance, facts, dims.Length) != axis) return null;
        if (editor.SoleConsumer(variance.Outputs[0]) is not { } addEps || !Patterns.Is(addEps, "Add")
            || Patterns.Other(addEps, variance.Outputs[0]) is not { } epsName || Patterns.Scalar(facts, epsName) is not { } eps || eps < 0) return null;
        if (editor.SoleConsumer(addEps.Outputs[0]) is not { } sqrt || !Patterns.Is(sqrt, "Sqrt")) return null;
        if (editor.SoleConsumer(sqrt.Outputs[0]) != div || div.Inputs[1] != sqrt.Outputs[0]) return null;
        var nodes = new List<Node> { mean, sub, square, variance, addEps, sqrt, div };

        // Optional affine tail: · scale, then + bias, with constants that broadcast over the normalized dimensions only.
        var output = div.Outputs[0];
        Tensor? scale = null, bias = null;
        if (editor.SoleConsumer(output) is { } mul && Patterns.Is(mul, "Mul") && Patterns.Other(mul, output) is { } s
            && Expand(facts.Constant(s), dims.Length, shape) is { } scaleValue)
        {
            scale = scaleValue;
            nodes.Add(mul);
            output = mul.Outputs[0];
        }
        if (editor.SoleConsumer(output) is { } add && Patterns.Is(add, "Add") && Patterns.Other(add, output) is { } b
            && Expand(facts.Constant(b), dims.Length, shape) is { } biasValue)
        {
            bias = biasValue;
            nodes.Add(add);
            output = add.Outputs[0];
        }
        if (scale is null)
        {
            scale = Tensor.Zeros(shape);
            scale.Floats.Fill(1);
        }
        return new Found(x, axis, eps, scale, bias, output, nodes);
    }

    /// <summary>The first reduced axis when a ReduceMean with keepdims reduces exactly the trailing axes [axis, rank); else null.</summary>
    private static int? TrailingAxes(Node reduce, ShapeFacts facts, int rank)
    {
        if (reduce.Attributes.GetValueOrDefault("keepdims")?.Int is 0) return null;
        long[]? axes = reduce.InputOrNull(1) is { } a ? facts.Constant(a)?.ToInt64Array() : reduce.Attributes.GetValueOrDefault("axes")?.Ints;
        if (axes is null || axes.Length == 0 || axes.Length > rank) return null;
        var sorted = axes.Select(v => v < 0 ? v + rank : v).Order().ToArray();
        for (int i = 0; i < sorted.Length; i++) if (sorted[i] != rank - sorted.Length + i) return null;
        return rank - sorted.Length;
    }

    /// <summary>
    /// A float constant broadcast over <paramref name="normalized"/> (the trailing dimensions of a rank
    /// <paramref name="rank"/> tensor), when it varies along those dimensions only; else null.
    /// </summary>
    private static Tensor? Expand(Tensor? c, int rank, int[] normalized)
    {
        if (c is null || c.Type != DataType.Float32 || c.Rank > rank) return null;
        int lead = rank - normalized.Length;
        var cShape = new int[rank];
        for (int j = 0; j < rank; j++) cShape[j] = j < rank - c.Rank ? 1 : c.Shape[j - (rank - c.Rank)];
        for (int j = 0; j < rank; j++)
            if (cShape[j] != 1 && (j < lead || cShape[j] != normalized[j - lead])) return null;
        var result = Tensor.Zeros(normalized);
        var src = c.Floats;
        var dst = result.Floats;
        var cStrides = ShapeMath.Strides(cShape.AsSpan(lead));
        var idx = new int[normalized.Length];
        for (int i = 0; i < dst.Length; i++)
        {
            int off = 0;
            for (int j = 0; j < idx.Length; j++) if (cShape[lead + j] != 1) off += idx[j] * cStrides[j];
            dst[i] = src[off];
            for (int j = idx.Length - 1; j >= 0 && ++idx[j] == normalized[j]; j--) idx[j] = 0;
        }
        return result;
    }
}
