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

    // An integer-input graph: input "x" of the given type and shape.
    private static ModelGraph IntegerGraph(string name, DataType type, int[] shape, long opset = 13)
    {
        var g = new ModelGraph { Name = name };
        g.Metadata.Opsets[""] = opset;
        g.Inputs.Add(new ValueInfo("x", type, shape.Select(d => (Dim)d).ToArray()));
        return g;
    }

    private static Tensor RandomBytes(DataType type, int seed, params int[] shape) => RandomBytesWithin(type, seed, 128, shape);

    // int8 values in [-limit, limit). ONNX Runtime's AVX2 kernel for uint8 x int8 (on CPUs without VNNI, as here) adds
    // pairs of products in saturating int16, so weights with a uint8 partner are kept to 7 bits (|w| < 64), the range its
    // quantizer's reduce_range option exists for; Prunus accumulates exactly at any range (see IntegerKernelTests).
    private static Tensor RandomBytesWithin(DataType type, int seed, int limit, params int[] shape)
    {
        var t = Tensor.Zeros(type, shape);
        var rng = new Random(seed);
        for (int i = 0; i < t.Length; i++)
            if (type == DataType.UInt8) t.Span<byte>()[i] = (byte)rng.Next(256);
            else t.Span<sbyte>()[i] = (sbyte)rng.Next(-limit, limit);
        return t;
    }

    private static void AssertSameOutputs(ModelGraph g, Tensor x)
    {
        var plan = Planner.Compile(OnnxReader.Load(OnnxWriter.ToBytes(g)), x.Shape);
        plan.Input("x").CopyFrom(x);
        plan.Run();
        var ort = OrtPeer.Get().Run(g, new Dictionary<string, Tensor> { ["x"] = x });
        for (int i = 0; i < g.Outputs.Count; i++)
        {
            var name = g.Outputs[i].Name;
            var mine = plan.Output(i);
            var theirs = ort[name];
            Assert.Equal(theirs.Type, mine.Type);
            Assert.Equal(theirs.Shape, mine.Shape);
            var expected = Enumerable.Range(0, theirs.Length).Select(theirs.GetAsDouble).ToArray();
            var actual = Enumerable.Range(0, mine.Length).Select(mine.GetAsDouble).ToArray();
            if (mine.Type == DataType.Float32) TensorAssert.Close(theirs.Floats, mine.Floats, 1e-6, 1e-6, name);
            else Assert.Equal(expected, actual);
            if (mine.Length > 4) Assert.True(actual.Distinct().Count() > 3, $"{name} barely varies");
        }
    }

    [OrtFact]
    public void Matmul_integer_with_a_per_column_zero_point_matches_onnx_runtime()
    {
        var g = IntegerGraph("matmulinteger", DataType.UInt8, [3, 5]);
        g.Initializers["w"] = RandomBytesWithin(DataType.Int8, 1, 64, 5, 4);
        g.Initializers["za"] = Tensor.Scalar((byte)131);
        g.Initializers["zb"] = Tensor.From(new sbyte[] { 0, -3, 5, 1 }, 4);
        g.Add("MatMulInteger", ["x", "w", "za", "zb"], ["y"]);
        g.Output("y", DataType.Int32);
        AssertSameOutputs(g, RandomBytes(DataType.UInt8, 2, 3, 5));
    }

    [OrtFact]
    public void Dynamic_quantization_pattern_matches_onnx_runtime()
    {
        // DynamicQuantizeLinear -> MatMulInteger -> Cast -> Mul (x scale * w scale) -> Add bias, as ONNX Runtime's dynamic quantizer writes.
        var g = QdqGraphs.New("dynamic", [4, 6], opset: 13);
        g.Initializers["w_q"] = RandomBytesWithin(DataType.Int8, 3, 64, 6, 5);
        g.Initializers["w_zp"] = Tensor.Scalar((sbyte)0);
        g.Initializers["w_s"] = Tensor.Scalar(0.013f);
        g.Initializers["bias"] = Tensor.From(new[] { 0.1f, -0.2f, 0.3f, 0f, 1f }, 5);
        g.Add("DynamicQuantizeLinear", ["x"], ["x_q", "x_s", "x_zp"]);
        g.Add("MatMulInteger", ["x_q", "w_q", "x_zp", "w_zp"], ["acc"]);
        g.Add("Cast", ["acc"], ["acc_f"], ("to", AttributeValue.Of((long)DataType.Float32)));
        g.Add("Mul", ["x_s", "w_s"], ["scale"]);
        g.Add("Mul", ["acc_f", "scale"], ["mm"]);
        g.Add("Add", ["mm", "bias"], ["y"]);
        g.Output("y", DataType.Float32);
        g.Output("x_q", DataType.UInt8);
        g.Output("x_s", DataType.Float32);
        g.Output("x_zp", DataType.UInt8);
        AssertSameOutputs(g, TensorAssert.Random(5, -3, 2, 4, 6));
    }

    [OrtTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void Qlinear_matmul_matches_onnx_runtime(bool perColumn)
    {
        var g = IntegerGraph("qlinearmatmul", DataType.UInt8, [2, 3, 7]);
        g.Initializers["a_s"] = Tensor.Scalar(0.03f);
        g.Initializers["a_zp"] = Tensor.Scalar((byte)120);
        g.Initializers["b"] = RandomBytesWithin(DataType.Int8, 4, 64, 7, 5);
        g.Initializers["b_s"] = perColumn ? Tensor.From(new[] { 0.01f, 0.02f, 0.005f, 0.03f, 0.011f }, 5) : Tensor.Scalar(0.01f);
        g.Initializers["b_zp"] = perColumn ? Tensor.From(new sbyte[5], 5) : Tensor.Scalar((sbyte)0);
        g.Initializers["y_s"] = Tensor.Scalar(0.07f);
        g.Initializers["y_zp"] = Tensor.Scalar((byte)100);
        g.Add("QLinearMatMul", ["x", "a_s", "a_zp", "b", "b_s", "b_zp", "y_s", "y_zp"], ["y"]);
        g.Output("y", DataType.UInt8);
        AssertSameOutputs(g, RandomBytes(DataType.UInt8, 5, 2, 3, 7));
    }

    [OrtTheory]
    [InlineData(DataType.UInt8, true)]
    [InlineData(DataType.Int8, true)]
    [InlineData(DataType.UInt8, false)]
    public void Qlinear_conv_matches_onnx_runtime(DataType xType, bool perChannel)
    {
        var g = IntegerGraph("qlinearconv", xType, [2, 4, 7, 6]);
        var rng = new Random(6);
        g.Initializers["x_s"] = Tensor.Scalar(0.02f);
        g.Initializers["x_zp"] = xType == DataType.UInt8 ? Tensor.Scalar((byte)128) : Tensor.Scalar((sbyte)-2);
        g.Initializers["w"] = RandomBytesWithin(DataType.Int8, 7, xType == DataType.UInt8 ? 64 : 128, 6, 2, 3, 3);
        g.Initializers["w_s"] = perChannel ? Tensor.From(Enumerable.Range(0, 6).Select(_ => 0.002f + (float)rng.NextDouble() * 0.01f).ToArray(), 6) : Tensor.Scalar(0.005f);
        g.Initializers["w_zp"] = perChannel ? Tensor.From(new sbyte[6], 6) : Tensor.Scalar((sbyte)0);
        g.Initializers["y_s"] = Tensor.Scalar(0.1f);
        g.Initializers["y_zp"] = xType == DataType.UInt8 ? Tensor.Scalar((byte)90) : Tensor.Scalar((sbyte)5);
        g.Initializers["bias"] = Tensor.From(Enumerable.Range(0, 6).Select(_ => rng.Next(-3000, 3000)).ToArray(), 6);
        g.Add("QLinearConv", ["x", "x_s", "x_zp", "w", "w_s", "w_zp", "y_s", "y_zp", "bias"], ["y"],
            ("group", AttributeValue.Of(2L)), ("pads", AttributeValue.Of(new long[] { 1L, 0L, 1L, 1L })), ("strides", AttributeValue.Of(new long[] { 1L, 2L })));
        g.Output("y", xType);
        AssertSameOutputs(g, RandomBytes(xType, 8, 2, 4, 7, 6));
    }

    [OrtFact]
    public void Conv_integer_matches_onnx_runtime()
    {
        var g = IntegerGraph("convinteger", DataType.UInt8, [1, 3, 6, 6]);
        g.Initializers["w"] = RandomBytes(DataType.UInt8, 9, 4, 3, 3, 3);
        g.Initializers["x_zp"] = Tensor.Scalar((byte)100);
        g.Initializers["w_zp"] = Tensor.Scalar((byte)127);
        g.Add("ConvInteger", ["x", "w", "x_zp", "w_zp"], ["y"], ("pads", AttributeValue.Of(new long[] { 1L, 1L, 1L, 1L })), ("dilations", AttributeValue.Of(new long[] { 1L, 2L })));
        g.Output("y", DataType.Int32);
        AssertSameOutputs(g, RandomBytes(DataType.UInt8, 10, 1, 3, 6, 6));
    }
}
