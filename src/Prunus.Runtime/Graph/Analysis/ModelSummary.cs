using Prunus.Graph.Planning;
using Prunus.Tensors;

namespace Prunus.Graph.Analysis;

/// <summary>One node's line in a model summary.</summary>
public sealed record LayerSummary(string Name, string OpType, int[]? OutputShape, long Parameters, long NonZeros, long Flops);

/// <summary>
/// What a model costs: per-layer output shapes, parameters, nonzero parameters and FLOPs at a given batch size.
/// FLOPs count a multiply-add as 2 for Conv, ConvTranspose, Gemm, MatMul and MatMulInteger; every other op counts one
/// per output element, except a DequantizeLinear of a constant (a quantized weight, expanded once per plan), which
/// counts nothing. Parameters are the float initializers and, in quantized models, the integer weights that
/// DequantizeLinear, MatMulInteger or ConvInteger read; scales and zero points are not counted.
/// </summary>
public sealed record ModelSummary(IReadOnlyList<LayerSummary> Layers, long Parameters, long NonZeros, long Flops, int Batch,
    IReadOnlyList<(string OpType, string Domain, IReadOnlyList<string> Nodes)> UnsupportedOps)
{
    /// <summary>Fraction of parameters that are exactly zero.</summary>
    public double Sparsity => Parameters == 0 ? 0 : 1 - (double)NonZeros / Parameters;

    /// <summary>
    /// Summarizes <paramref name="graph"/> at batch size <paramref name="batch"/>. Never throws for unsupported ops (it
    /// lists them) or for inputs without a declared shape: output shapes and FLOPs are then left unknown (null and 0).
    /// </summary>
    public static ModelSummary Of(ModelGraph graph, int batch = 1)
    {
        var unsupported = GraphValidation.UnsupportedOps(graph);
        IReadOnlyDictionary<string, TensorInfo>? infos = null;
        if (unsupported.Count == 0 && graph.DataInputs.All(i => i.Dims is not null))
        {
            var shapes = graph.DataInputs.ToDictionary(i => i.Name, i => i.Concrete(batch));
            infos = Planner.Compile(graph, shapes, new PlanOptions { ConstantWeights = false, Pool = new Threading.WorkerPool(1) }).Infos;
        }
        var counted = new HashSet<string>(StringComparer.Ordinal);
        var layers = new List<LayerSummary>();
        foreach (var node in graph.Nodes)
        {
            long p = 0, nz = 0;
            for (int index = 0; index < node.Inputs.Count; index++)
            {
                var input = node.Inputs[index];
                if (input.Length > 0 && graph.Initializers.TryGetValue(input, out var t) && IsParameter(node, index, t) && counted.Add(input))
                {
                    p += t.Length;
                    nz += t.Type == DataType.Float32 ? CountNonZeros(t.Floats) : CountNonZeros(t);
                }
            }
            int[]? outShape = infos is not null && node.Outputs.Count > 0 && infos.TryGetValue(node.Outputs[0], out var oi) ? oi.Shape : null;
            bool constantDequantize = node.OpType == "DequantizeLinear" && node.Inputs.Count > 0 && graph.Initializers.ContainsKey(node.Inputs[0]);
            long flops = infos is null || constantDequantize ? 0 : NodeFlops(node, infos);
            layers.Add(new LayerSummary(node.Name, node.OpType, outShape, p, nz, flops));
        }
        return new ModelSummary(layers, layers.Sum(l => l.Parameters), layers.Sum(l => l.NonZeros), layers.Sum(l => l.Flops), batch, unsupported);
    }

    /// <summary>Whether input <paramref name="index"/> of <paramref name="node"/>, the initializer <paramref name="t"/>, is a model parameter.</summary>
    private static bool IsParameter(Node node, int index, Tensor t) => node.OpType switch
    {
        // Scales and zero points describe the quantization of a parameter; they are not parameters themselves.
        "QuantizeLinear" or "DequantizeLinear" => index == 0 && (t.Type == DataType.Float32 || t.Type.IsInteger()),
        "MatMulInteger" or "ConvInteger" => index < 2 && t.Type.IsInteger(),
        _ => t.Type == DataType.Float32,
    };

    private static long CountNonZeros(Tensor t)
    {
        long n = 0;
        for (int i = 0; i < t.Length; i++) if (t.GetAsDouble(i) != 0) n++;
        return n;
    }

    private static long CountNonZeros(ReadOnlySpan<float> s)
    {
        long n = 0;
        foreach (var v in s) if (v != 0) n++;
        return n;
    }

    private static long NodeFlops(Node node, IReadOnlyDictionary<string, TensorInfo> infos)
    {
        int[] Shape(string v) => infos.TryGetValue(v, out var i) ? i.Shape : [];
        long Size(int[] s) => s.Aggregate(1L, (a, d) => a * d);
        var outShape = node.Outputs.Count > 0 && node.Outputs[0].Length > 0 ? Shape(node.Outputs[0]) : [];
        switch (node.OpType)
        {
            // The fused ops of the inference passes (domain ai.prunus) count as the product they contain.
            case "Conv" or "FusedConv":
            {
                var w = Shape(node.Inputs[1]); // [K, C/group, k...]
                return 2 * Size(outShape) * Size(w[1..]);
            }
            case "ConvTranspose":
            {
                var x = Shape(node.Inputs[0]);
                var w = Shape(node.Inputs[1]); // [C, K/group, k...]
                return 2 * Size(x) * Size(w[1..]);
            }
            case "Gemm" or "FusedGemm":
            {
                var a = Shape(node.Inputs[0]);
                bool transA = node.Attributes.TryGetValue("transA", out var ta) && ta.Int != 0;
                long k = transA ? a[0] : a[1];
                return 2 * Size(outShape) * k;
            }
            case "MatMul" or "FusedMatMul" or "MatMulInteger":
            {
                var a = Shape(node.Inputs[0]);
                return 2 * Size(outShape) * (a.Length > 0 ? a[^1] : 1);
            }
            default:
                return Size(outShape);
        }
    }
}
