using Google.Protobuf;
using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Onnx.Proto;
using Prunus.Tensors;

namespace Prunus.Tests.Onnx;

public class OnnxCorruptInputTests
{
    /// <summary>A minimal model around one initializer, for breaking that initializer in different ways.</summary>
    private static byte[] ModelWith(TensorProto t, Action<ModelProto>? edit = null)
    {
        var m = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "g" } };
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        m.Graph.Initializer.Add(t);
        edit?.Invoke(m);
        return m.ToByteArray();
    }

    private static TensorProto Floats(string name, long[] dims, int rawBytes)
    {
        var t = new TensorProto { Name = name, DataType = (int)DataType.Float32, RawData = ByteString.CopyFrom(new byte[rawBytes]) };
        t.Dims.AddRange(dims);
        return t;
    }

    private static ModelException Fails(byte[] bytes, OnnxReadOptions? options = null) =>
        Assert.Throws<ModelException>(() => OnnxReader.Load(bytes, options));

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 16)]
    [InlineData(3, 1000)]
    [InlineData(4, 100_000)]
    public void Random_bytes_are_not_an_onnx_file(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        var e = Fails(bytes);
        Assert.StartsWith("the ONNX data", e.Message);
    }

    [Fact]
    public void Empty_input_has_no_graph()
    {
        Assert.Contains("no graph", Fails([]).Message);
    }

    [Fact]
    public void A_text_file_is_not_an_onnx_file()
    {
        var e = Fails(OnnxTestGraphs.Utf8("ir_version: 8\ngraph { name: \"g\" }\n"));
        Assert.Contains("not a valid ONNX file", e.Message);
    }

    [Fact]
    public void A_truncated_file_is_reported_as_such()
    {
        using var dir = OnnxTestGraphs.NewFolder();
        byte[] whole = File.ReadAllBytes(OnnxTestGraphs.Fixture("tiny_cnn.onnx"));
        string path = dir.File("cut.onnx");
        File.WriteAllBytes(path, whole[..(whole.Length / 2)]);
        var e = Assert.Throws<ModelException>(() => OnnxReader.Load(path));
        Assert.StartsWith("cut.onnx is not a valid ONNX file", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Every_truncation_loads_or_fails_cleanly()
    {
        byte[] whole = File.ReadAllBytes(OnnxTestGraphs.Fixture("mixed_types.onnx"));
        for (int n = 0; n < whole.Length; n += 7)
        {
            try { OnnxReader.Load(whole[..n]); }
            catch (ModelException) { }
        }
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<ModelException>(() => OnnxReader.Load(Path.Combine(Path.GetTempPath(), "no-such-model.onnx")));
        Assert.Contains("no-such-model.onnx' does not exist", e.Message);
    }

    [Fact]
    public void Raw_data_of_the_wrong_size_names_the_tensor_and_both_sizes()
    {
        var e = Fails(ModelWith(Floats("conv.weight", [8, 3, 3, 3], 860)));
        Assert.Contains("initializer 'conv.weight'", e.Message);
        Assert.Contains("860 bytes", e.Message);
        Assert.Contains("864", e.Message);
    }

    [Fact]
    public void Typed_data_of_the_wrong_count_names_the_field()
    {
        var t = new TensorProto { Name = "b", DataType = (int)DataType.Float32 };
        t.Dims.Add(4);
        t.FloatData.AddRange([1f, 2f, 3f]);
        var e = Fails(ModelWith(t));
        Assert.Contains("initializer 'b' has 3 values in float_data", e.Message);

        var none = new TensorProto { Name = "c", DataType = (int)DataType.Int64 };
        none.Dims.Add(2);
        Assert.Contains("no data", Fails(ModelWith(none)).Message);
    }

    [Theory]
    [InlineData(new long[] { -1, 4 }, "negative dimension -1")]
    [InlineData(new long[] { 1L << 40 }, "dimension 1099511627776")]
    [InlineData(new long[] { 100_000, 100_000 }, "more than 2147483647 elements")]
    [InlineData(new long[] { 50_000, 40_000 }, "per tensor")]
    public void Absurd_dims_are_refused_before_anything_is_allocated(long[] dims, string expected)
    {
        byte[] bytes = ModelWith(Floats("huge", dims, 16));
        long before = GC.GetAllocatedBytesForCurrentThread();
        var e = Fails(bytes);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Contains("initializer 'huge'", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.True(allocated < 4 << 20, $"{allocated} bytes were allocated to reject the file");
    }

    [Fact]
    public void The_total_tensor_budget_counts_every_tensor()
    {
        var m = new ModelProto { Graph = new GraphProto() };
        for (int i = 0; i < 3; i++) m.Graph.Initializer.Add(Floats($"w{i}", [256], 1024));
        var e = Fails(m.ToByteArray(), new OnnxReadOptions { MaxTensorBytes = 2500 });
        Assert.Contains("initializer 'w2'", e.Message);
        Assert.Contains("MaxTensorBytes", e.Message);
    }

    [Fact]
    public void A_sparse_tensor_cannot_blow_up_past_the_budget()
    {
        var s = new SparseTensorProto { Values = Floats("s", [0], 0), Indices = new TensorProto { DataType = (int)DataType.Int64 } };
        s.Indices.Dims.Add(0);
        s.Dims.AddRange([40_000, 40_000]);
        var m = new ModelProto { Graph = new GraphProto() };
        m.Graph.SparseInitializer.Add(s);
        var e = Fails(m.ToByteArray(), new OnnxReadOptions { MaxTensorBytes = 1 << 20 });
        Assert.Contains("sparse initializer 's'", e.Message);
    }

    [Theory]
    [InlineData(8, "string (8)")]
    [InlineData(17, "float8e4m3fn (17)")]
    [InlineData(14, "complex64 (14)")]
    [InlineData(99, "unknown type number 99")]
    public void Unknown_or_unsupported_data_types_name_the_tensor(int dataType, string expected)
    {
        var t = new TensorProto { Name = "odd", DataType = dataType };
        t.Dims.Add(1);
        var e = Fails(ModelWith(t));
        Assert.Contains("initializer 'odd'", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Bad_tensor_in_a_constant_node_names_the_node()
    {
        var m = new ModelProto { Graph = new GraphProto() };
        var node = new NodeProto { OpType = "Constant", Name = "k" };
        node.Output.Add("k_out");
        node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor, T = Floats("", [3], 8) });
        m.Graph.Node.Add(node);
        var e = Fails(m.ToByteArray());
        Assert.Contains("attribute 'value' of node 'k' (Constant)", e.Message);
    }

    [Fact]
    public void Bad_tensor_inside_a_subgraph_says_where()
    {
        var body = new GraphProto { Name = "body" };
        body.Initializer.Add(Floats("inner", [2], 3));
        var m = new ModelProto { Graph = new GraphProto() };
        var node = new NodeProto { OpType = "Loop", Name = "loop" };
        node.Attribute.Add(new AttributeProto { Name = "body", Type = AttributeProto.Types.AttributeType.Graph, G = body });
        m.Graph.Node.Add(node);
        var e = Fails(m.ToByteArray());
        Assert.Contains("initializer 'inner' in subgraph 'body' of node 'loop' (Loop)", e.Message);
    }

    [Fact]
    public void Sparse_indices_out_of_range_are_refused()
    {
        var s = new SparseTensorProto { Values = new TensorProto { Name = "s", DataType = 1, RawData = ByteString.CopyFrom(new byte[8]) } };
        s.Values.Dims.Add(2);
        s.Indices = new TensorProto { DataType = 7 };
        s.Indices.Dims.Add(2);
        s.Indices.Int64Data.AddRange([1, 6]);
        s.Dims.AddRange([2, 3]);
        var m = new ModelProto { Graph = new GraphProto() };
        m.Graph.SparseInitializer.Add(s);
        var e = Fails(m.ToByteArray());
        Assert.Contains("index 6", e.Message);
    }

    [Fact]
    public void Structural_defects_are_named()
    {
        var noOp = new ModelProto { Graph = new GraphProto() };
        noOp.Graph.Node.Add(new NodeProto { Name = "n" });
        Assert.Contains("has no op type", Fails(noOp.ToByteArray()).Message);

        var twice = new ModelProto { Graph = new GraphProto() };
        twice.Graph.Initializer.Add(Floats("w", [1], 4));
        twice.Graph.Initializer.Add(Floats("w", [1], 4));
        Assert.Contains("defined twice", Fails(twice.ToByteArray()).Message);

        var empty = new ModelProto { Graph = new GraphProto() };
        var node = new NodeProto { OpType = "Constant", Name = "k" };
        node.Attribute.Add(new AttributeProto { Name = "value", Type = AttributeProto.Types.AttributeType.Tensor });
        empty.Graph.Node.Add(node);
        Assert.Contains("holds no tensor", Fails(empty.ToByteArray()).Message);

        var segmented = Floats("seg", [1], 4);
        segmented.Segment = new TensorProto.Types.Segment { Begin = 0, End = 1 };
        Assert.Contains("segment", Fails(ModelWith(segmented)).Message);
    }

    [Fact]
    public void Invalid_utf8_in_a_name_reads_as_replacement_characters()
    {
        // Protobuf (like ONNX's C++ readers for proto2 files) does not reject malformed text; it must not crash either.
        byte[] bytes = OnnxWriter.ToBytes(new ModelGraph { Name = "ABCDEFGH" });
        int at = bytes.AsSpan().IndexOf("ABCDEFGH"u8);
        bytes[at + 3] = 0xC3;  // a lead byte followed by an ASCII byte
        bytes[at + 4] = 0x28;
        Assert.Contains('\uFFFD', OnnxReader.Load(bytes).Name);
    }

    [Fact]
    public void Attributes_without_a_type_are_typed_by_their_value_as_in_ir_version_1()
    {
        var m = new ModelProto { Graph = new GraphProto() };
        var node = new NodeProto { OpType = "Gemm", Name = "g" };
        node.Attribute.Add(new AttributeProto { Name = "alpha", F = 0.5f });
        var ints = new AttributeProto { Name = "perm" };
        ints.Ints.AddRange([1, 0]);
        node.Attribute.Add(ints);
        node.Attribute.Add(new AttributeProto { Name = "nothing" });
        m.Graph.Node.Add(node);
        Assert.Contains("attribute 'nothing' of node 'g' (Gemm) has neither a type nor a value", Fails(m.ToByteArray()).Message);

        node.Attribute.RemoveAt(2);
        var g = OnnxReader.Load(m.ToByteArray());
        Assert.Equal(AttributeKind.Float, g.Nodes[0].Attributes["alpha"].Kind);
        Assert.Equal([1L, 0L], g.Nodes[0].Attributes["perm"].Ints);
    }
}
