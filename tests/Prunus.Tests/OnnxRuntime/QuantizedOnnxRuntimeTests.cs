using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Ops.Quantization;
using Prunus.Tests.Support;

namespace Prunus.Tests.OnnxRuntime;

/// <summary>ONNX Runtime loads QDQ models that Prunus writes (int4 weights packed in the file) and computes what Prunus does.</summary>
public sealed class QuantizedOnnxRuntimeTests
{
    private static Dictionary<string, Tensor> RunPrunus(ModelGraph g, Tensor x)
    {
        var plan = Planner.Compile(OnnxReader.Load(OnnxWriter.ToBytes(g)), x.Shape);
        plan.Input("x").CopyFrom(x);
        plan.Run();
        return g.Outputs.Select((o, i) => (o.Name, plan.Output(i).Clone())).ToDictionary(p => p.Name, p => p.Item2);
    }

    [OrtTheory]
    [InlineData(DataType.Int4)]
    [InlineData(DataType.UInt4)]
    public void Blocked_four_bit_weight_matmul_matches_onnx_runtime(DataType type)
    {
        var g = QdqGraphs.Int4WeightMatMul(type);
        var x = TensorAssert.Random(9, -1, 1, 3, 7);
        var expected = RunPrunus(g, x)["y"];
        var actual = OrtPeer.Get().Run(g, new Dictionary<string, Tensor> { ["x"] = x })["y"];
        TensorAssert.Close(expected, actual, rtol: 1e-5, atol: 1e-6);
        Assert.Contains(expected.Floats.ToArray(), v => MathF.Abs(v) > 0.01f);
    }

    [OrtTheory]
    [InlineData(DataType.Int8, 0)]
    [InlineData(DataType.UInt8, 0)]
    [InlineData(DataType.Int8, 1)]
    [InlineData(DataType.Int16, 0)]
    [InlineData(DataType.UInt16, 1)]
    [InlineData(DataType.Int4, 1)]
    [InlineData(DataType.UInt4, 0)]
    public void Quantize_then_dequantize_matches_onnx_runtime_bit_for_bit(DataType type, int perAxis)
    {
        // x [2,3,8] holds exact ties (k + 0.5 steps), values beyond the range and zero; axis 1 per-axis when asked.
        var g = QdqGraphs.New("qdq", [2, 3, 8]);
        var (lo, hi) = type.IntegerRange();
        int n = perAxis == 1 ? 3 : 1;
        int[] shape = perAxis == 1 ? [3] : [];
        g.Initializers["s"] = Tensor.From(Enumerable.Range(0, n).Select(i => 0.5f * (i + 1)).ToArray(), shape);
        g.Initializers["zp"] = QdqGraphs.Int(type, Enumerable.Range(0, n).Select(i => Math.Clamp(i - 1 + (lo + hi) / 2, lo, hi)).ToArray(), shape);
        g.Add("QuantizeLinear", ["x", "s", "zp"], ["q"], ("axis", AttributeValue.Of(1L)));
        g.Add("DequantizeLinear", ["q", "s", "zp"], ["y"], ("axis", AttributeValue.Of(1L)));
        g.Output("y", DataType.Float32);
        var x = Tensor.Zeros(2, 3, 8);
        var rng = new Random(3);
        float range = (hi - lo) * 1.5f;
        for (int i = 0; i < x.Length; i++)
            x.Floats[i] = i % 3 == 0 ? (rng.Next(-40, 40) + 0.5f) * 0.5f * (i / 8 % 3 + 1) : (float)(rng.NextDouble() - 0.5) * range;
        var expected = RunPrunus(g, x)["y"];
        var actual = OrtPeer.Get().Run(g, new Dictionary<string, Tensor> { ["x"] = x })["y"];
        Assert.Equal(expected.Floats.ToArray(), actual.Floats.ToArray());
    }
}
