using Prunus.Graph;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Passes;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Quantization;

/// <summary>QDQ graphs through the passes and the planner: nothing quantized is folded away, integer buffers are shared correctly.</summary>
public class QdqPlanTests
{
    [Fact]
    public void Constant_folding_keeps_quantize_and_dequantize_of_initializers()
    {
        var g = QdqGraphs.QdqLinear();
        // A QuantizeLinear of a float initializer too, as fake-quantized weights are written.
        g.Initializers["v"] = Tensor.From(new[] { 0.5f, -0.25f, 1f }, 3);
        g.Add("QuantizeLinear", ["v", "y_s", "y_zp"], ["v_q"]);
        g.Add("DequantizeLinear", ["v_q", "y_s", "y_zp"], ["v_dq"]);
        g.Add("Add", ["y", "v_dq"], ["z"]);
        g.Output("z", DataType.Float32);
        var (after, rewrites) = PassTestSupport.ApplyAndCompare(g, new ConstantFoldingPass());
        Assert.Equal(0, rewrites);
        Assert.Equal(["w_q", "b_q"], after.Nodes.Where(n => n.OpType == "DequantizeLinear" && after.Initializers.ContainsKey(n.Inputs[0])).Select(n => n.Inputs[0]));
        Assert.Contains(after.Nodes, n => n.OpType == "QuantizeLinear" && n.Inputs[0] == "v");
        Assert.Equal(DataType.Int8, after.Initializers["w_q"].Type);
    }

    [Fact]
    public void Constant_folding_does_not_fold_what_is_computed_from_a_dequantized_weight()
    {
        // W_q [3,4] int8 -> DequantizeLinear -> Transpose -> MatMul, and the weight's Shape (which may fold).
        var g = QdqGraphs.New("dq_transpose", [2, 4], opset: 13);
        g.Initializers["w_q"] = Tensor.From(Enumerable.Range(0, 12).Select(i => (sbyte)(i * 7 - 40)).ToArray(), 3, 4);
        g.Initializers["w_s"] = Tensor.Scalar(0.1f);
        g.Add("DequantizeLinear", ["w_q", "w_s"], ["w_t"]);
        g.Add("Transpose", ["w_t"], ["w"]);
        g.Add("MatMul", ["x", "w"], ["y"]);
        g.Add("Shape", ["w"], ["w_shape"]);
        g.Add("Cast", ["w_shape"], ["w_shape_f"], ("to", AttributeValue.Of((long)DataType.Float32)));
        g.Add("ReduceSum", ["w_shape_f"], ["k"], ("keepdims", AttributeValue.Of(0L)));
        g.Add("Add", ["y", "k"], ["z"]);
        g.Output("z", DataType.Float32);
        var (after, rewrites) = PassTestSupport.ApplyAndCompare(g, new ConstantFoldingPass());
        Assert.Equal(3, rewrites);
        Assert.Equal(["DequantizeLinear", "Transpose", "MatMul", "Add"], after.Nodes.Select(n => n.OpType));
        Assert.Equal(DataType.Int8, after.Initializers["w_q"].Type);
    }

    [Fact]
    public void Inference_passes_keep_the_qdq_linear_layer_computing_the_same()
    {
        var g = QdqGraphs.QdqLinear();
        var after = g.Clone();
        PassPipeline.ForInference.Run(after);
        PassTestSupport.AssertSameOutputs(g, after);
        // The int8 weight stays int8: read by its DequantizeLinear, or by the integer op the inference lowering made.
        Assert.Contains(after.Nodes, n => n.OpType is "DequantizeLinear" or "QLinearFusedGemm" && n.Inputs.Contains("w_q"));
        Assert.Equal(DataType.Int8, after.Initializers["w_q"].Type);
    }

    [Fact]
    public void Qdq_linear_layer_computes_the_quantized_formula()
    {
        var g = QdqGraphs.QdqLinear();
        var x = TensorAssert.Random(2, -2, 2, 5, 4);
        var plan = Planner.Compile(g, x.Shape, new PlanOptions { Pool = TestPools.One });
        plan.Input("x").CopyFrom(x);
        plan.Run();
        var y = plan.Output(0).Floats.ToArray();
        var w = g.Initializers["w_q"].Span<sbyte>().ToArray();
        var sw = g.Initializers["w_s"].Floats.ToArray();
        var b = g.Initializers["b_q"].Span<int>().ToArray();
        for (int n = 0; n < 5; n++)
            for (int k = 0; k < 3; k++)
            {
                double acc = 0;
                for (int c = 0; c < 4; c++)
                    acc += (QuantTensors.Expected(x.Floats[n * 4 + c], 0.02f, 128, 0, 255) - 128) * 0.02 * (w[c * 3 + k] * (double)sw[k]);
                acc += b[k] * (double)(sw[k] * 0.02f);
                double expected = Math.Clamp(Math.Round(Math.Max(acc, 0) / 0.05, MidpointRounding.ToEven), 0, 255) * 0.05;
                Assert.True(Math.Abs(expected - y[n * 3 + k]) < 1e-5 || Math.Abs(Math.Abs(expected - y[n * 3 + k]) - 0.05) < 1e-5,
                    $"[{n},{k}] expected {expected}, got {y[n * 3 + k]}");
            }
        Assert.Contains(y, v => v > 0);
    }

    [Fact]
    public void Int4_and_int8_buffers_are_reused_without_mixing_values()
    {
        // x -> Q int4 -> DQ -> Q int8 -> DQ -> Q uint4 -> DQ -> Q int8 -> DQ: later steps reuse the earlier steps' byte buffers.
        var g = QdqGraphs.New("chain", [64], opset: 21);
        g.Initializers["s"] = Tensor.Scalar(0.5f);
        g.Initializers["z4"] = QuantTensors.Int4([-1]);
        g.Initializers["z8"] = Tensor.Scalar((sbyte)3);
        g.Initializers["u4"] = QuantTensors.UInt4([8]);
        string last = "x";
        int i = 0;
        foreach (var zp in new[] { "z4", "z8", "u4", "z8" })
        {
            g.Add("QuantizeLinear", [last, "s", zp], [$"q{i}"]);
            g.Add("DequantizeLinear", [$"q{i}", "s", zp], [$"d{i}"]);
            last = $"d{i++}";
        }
        g.Output(last, DataType.Float32);
        var x = TensorAssert.Random(4, -6, 6, 64);
        var plan = Planner.Compile(g, [64], new PlanOptions { Pool = TestPools.One });
        plan.Input("x").CopyFrom(x);
        plan.Run();
        foreach (int e in new[] { 0, 17, 63 })
        {
            float v = x.Floats[e];
            foreach (var (zp, lo, hi) in new[] { (-1, -8, 7), (3, -128, 127), (8, 0, 15), (3, -128, 127) })
                v = (QuantTensors.Expected(v, 0.5f, zp, lo, hi) - zp) * 0.5f;
            Assert.Equal(v, plan.Output(0).Floats[e]);
        }
    }
}
