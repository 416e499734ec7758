using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Tests.Ops.Quantization;

/// <summary>Small QDQ graphs for file and ONNX Runtime tests.</summary>
internal static class QdqGraphs
{
    /// <summary>A graph of opset <paramref name="opset"/> with float input "x" of <paramref name="xShape"/>.</summary>
    public static ModelGraph New(string name, int[] xShape, long opset = 21)
    {
        var g = new ModelGraph { Name = name };
        g.Metadata.Opsets[""] = opset;
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, xShape.Select(d => (Dim)d).ToArray()));
        return g;
    }

    /// <summary>Adds a node and declares its outputs as graph outputs when <paramref name="outputs"/> says so.</summary>
    public static Node Add(this ModelGraph g, string opType, string[] inputs, string[] outputs, params (string Name, AttributeValue Value)[] attributes)
    {
        var n = new Node(opType, opType + g.Nodes.Count, inputs, outputs);
        foreach (var (k, v) in attributes) n.Attributes[k] = v;
        g.Nodes.Add(n);
        return n;
    }

    /// <summary>Declares <paramref name="name"/> a graph output of <paramref name="type"/>.</summary>
    public static void Output(this ModelGraph g, string name, DataType type) => g.Outputs.Add(new ValueInfo(name, type, null));

    /// <summary>
    /// Weight-only int4 MatMul: y = x [3,7] · DequantizeLinear(W_q int4 [7,6], scale [4,6], zp int4 [4,6], axis 0,
    /// block_size 2), the reduction axis in blocks of 2 with a partial last block.
    /// </summary>
    public static ModelGraph Int4WeightMatMul(DataType type = DataType.Int4)
    {
        var g = New("int4_weight_matmul", [3, 7]);
        var rng = new Random(5);
        int lo = type == DataType.Int4 ? -8 : 0;
        var w = Enumerable.Range(0, 42).Select(_ => rng.Next(lo, lo + 16)).ToArray();
        var zp = Enumerable.Range(0, 24).Select(_ => rng.Next(lo, lo + 16)).ToArray();
        g.Initializers["w_q"] = Int(type, w, 7, 6);
        g.Initializers["w_zp"] = Int(type, zp, 4, 6);
        g.Initializers["w_s"] = Tensor.From(Enumerable.Range(0, 24).Select(_ => 0.01f + (float)rng.NextDouble() * 0.1f).ToArray(), 4, 6);
        g.Add("DequantizeLinear", ["w_q", "w_s", "w_zp"], ["w"], ("axis", AttributeValue.Of(0L)), ("block_size", AttributeValue.Of(2L)));
        g.Add("MatMul", ["x", "w"], ["y"]);
        g.Output("y", DataType.Float32);
        return g;
    }

    /// <summary>
    /// A QDQ linear layer as ONNX Runtime's static quantizer writes one: x [N,4] -> Q/DQ (uint8) -> MatMul with an int8
    /// weight per output channel (axis 1) -> Add an int32 bias (scale s_x·s_w) -> Relu -> Q/DQ (uint8) -> y [N,3].
    /// </summary>
    public static ModelGraph QdqLinear()
    {
        var g = new ModelGraph { Name = "qdq_linear" };
        g.Metadata.Opsets[""] = 13;
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, [Dim.Sym("N"), 4]));
        var rng = new Random(17);
        const float sx = 0.02f;
        var sw = new[] { 0.01f, 0.02f, 0.015f };
        g.Initializers["x_s"] = Tensor.Scalar(sx);
        g.Initializers["x_zp"] = Tensor.Scalar((byte)128);
        g.Initializers["w_q"] = Tensor.From(Enumerable.Range(0, 12).Select(_ => (sbyte)rng.Next(-127, 128)).ToArray(), 4, 3);
        g.Initializers["w_s"] = Tensor.From(sw, 3);
        g.Initializers["w_zp"] = Tensor.From(new sbyte[3], 3);
        g.Initializers["b_q"] = Tensor.From(new[] { 100, -2000, 500 }, 3);
        g.Initializers["b_s"] = Tensor.From(sw.Select(s => s * sx).ToArray(), 3);
        g.Initializers["b_zp"] = Tensor.From(new int[3], 3);
        g.Initializers["y_s"] = Tensor.Scalar(0.05f);
        g.Initializers["y_zp"] = Tensor.Scalar((byte)0);
        g.Add("QuantizeLinear", ["x", "x_s", "x_zp"], ["x_q"]);
        g.Add("DequantizeLinear", ["x_q", "x_s", "x_zp"], ["x_dq"]);
        g.Add("DequantizeLinear", ["w_q", "w_s", "w_zp"], ["w"], ("axis", AttributeValue.Of(1L)));
        g.Add("DequantizeLinear", ["b_q", "b_s", "b_zp"], ["b"], ("axis", AttributeValue.Of(0L)));
        g.Add("MatMul", ["x_dq", "w"], ["mm"]);
        g.Add("Add", ["mm", "b"], ["pre"]);
        g.Add("Relu", ["pre"], ["act"]);
        g.Add("QuantizeLinear", ["act", "y_s", "y_zp"], ["y_q"]);
        g.Add("DequantizeLinear", ["y_q", "y_s", "y_zp"], ["y"]);
        g.Output("y", DataType.Float32);
        return g;
    }

    /// <summary>A tensor of <paramref name="type"/> (any integer type Prunus stores) from int values.</summary>
    public static Tensor Int(DataType type, int[] values, params int[] shape)
    {
        var t = Tensor.Zeros(type, shape);
        for (int i = 0; i < values.Length; i++)
            switch (type.StorageType())
            {
                case DataType.Int8: t.Span<sbyte>()[i] = (sbyte)values[i]; break;
                case DataType.UInt8: t.Span<byte>()[i] = (byte)values[i]; break;
                case DataType.Int16: t.Span<short>()[i] = (short)values[i]; break;
                case DataType.UInt16: t.Span<ushort>()[i] = (ushort)values[i]; break;
                default: t.Span<int>()[i] = values[i]; break;
            }
        return t;
    }
}
