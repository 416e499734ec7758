using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Onnx.Proto;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Onnx;

public class OnnxRoundTripTests
{
    [Fact]
    public void Everything_survives_graph_bytes_graph_bytes()
    {
        var g = OnnxTestGraphs.Everything();
        byte[] first = OnnxWriter.ToBytes(g);
        var back = OnnxReader.Load(first);
        byte[] second = OnnxWriter.ToBytes(back);

        Assert.Equal(first, second);
        OnnxTestGraphs.AssertEqual(g, back);
        OnnxTestGraphs.AssertMetadata(g.Metadata, back.Metadata);
    }

    [Fact]
    public void Attribute_kinds_are_written_with_their_onnx_type_numbers()
    {
        var p = ModelProto.Parser.ParseFrom(OnnxWriter.ToBytes(OnnxTestGraphs.Everything()));
        var attributes = p.Graph.Node[0].Attribute.ToDictionary(a => a.Name);

        Assert.Equal(AttributeProto.Types.AttributeType.Float, attributes["f"].Type);
        Assert.Equal(AttributeProto.Types.AttributeType.SparseTensor, attributes["sparse"].Type);
        Assert.Equal(AttributeProto.Types.AttributeType.TypeProtos, attributes["tps"].Type);
        Assert.Equal(AttributeProto.Types.AttributeType.Ints, attributes["empty_ints"].Type);
        // The sparse attribute holds only its two non-zeros, at linear positions 2 and 5 of [2,3].
        Assert.Equal([2L, 3L], attributes["sparse"].SparseTensor.Dims);
        Assert.Equal(8 * 2, attributes["sparse"].SparseTensor.Indices.RawData.Length);
        // Every tensor is written as raw_data, never in the typed fields.
        Assert.All(p.Graph.Initializer, t => Assert.True(t.HasRawData && t.FloatData.Count == 0 && t.Int64Data.Count == 0));
        // The reference attribute inside the function carries no value.
        var alpha = p.Functions[0].Node[0].Attribute[0];
        Assert.Equal("f", alpha.RefAttrName);
        Assert.False(alpha.HasF);
    }

    [Fact]
    public void Declared_types_keep_symbols_unknown_dims_and_non_tensor_types()
    {
        var back = OnnxReader.Load(OnnxWriter.ToBytes(OnnxTestGraphs.Everything()));
        var x = back.Inputs[0];
        Assert.Equal([Dim.Sym("N"), new Dim(3, null), new Dim(null, null), new Dim(5, null)], x.Dims!);
        Assert.Null(back.Inputs[1].Dims);
        Assert.Equal("seq(Float32[L])", back.Inputs[2].FullType!.ToString());
        Assert.Equal(TypeSpecKind.Map, back.Inputs[4].FullType!.Kind);
        Assert.Equal(DataType.Int64, back.Inputs[4].FullType!.ElementType);
        Assert.Equal((DataType)10, back.ValueInfos[0].Type);
    }

    [Fact]
    public void Clone_of_a_loaded_graph_writes_the_same_bytes()
    {
        var g = OnnxReader.Load(OnnxWriter.ToBytes(OnnxTestGraphs.Everything()));
        Assert.Equal(OnnxWriter.ToBytes(g), OnnxWriter.ToBytes(g.Clone()));
    }

    [Fact]
    public void Opset_override_stamps_the_default_domain_only()
    {
        var g = OnnxTestGraphs.Everything();
        var back = OnnxReader.Load(OnnxWriter.ToBytes(g, new OnnxWriteOptions { Opset = 13 }));
        Assert.Equal(13, back.Metadata.Opset);
        Assert.Equal(1, back.Metadata.Opsets["com.example"]);
        Assert.Equal(17, g.Metadata.Opset);
    }

    [Fact]
    public void Mostly_zero_float_initializers_are_written_sparse_and_read_back_dense()
    {
        var g = new ModelGraph { Name = "s" };
        var sparse = Tensor.Zeros(20, 10);
        for (int i = 0; i < sparse.Length; i += 11) sparse.Floats[i] = i * 0.5f - 3;
        sparse.Floats[199] = float.NaN;
        var dense = TensorAssert.Random(1, 1, 2, 20, 10);
        var ints = Tensor.Zeros(DataType.Int64, 50);
        g.Initializers["sparse"] = sparse;
        g.Initializers["dense"] = dense;
        g.Initializers["ints"] = ints;
        g.Nodes.Add(new Node("Add", "add", ["sparse", "dense"], ["y"]));
        var options = new OnnxWriteOptions { SparseZeroFraction = 0.5 };

        byte[] bytes = OnnxWriter.ToBytes(g, options);
        var p = ModelProto.Parser.ParseFrom(bytes);
        Assert.Equal(["sparse"], p.Graph.SparseInitializer.Select(s => s.Values.Name));
        Assert.Equal(["dense", "ints"], p.Graph.Initializer.Select(t => t.Name));
        Assert.Equal(TensorProto.Types.DataType.Int64, (TensorProto.Types.DataType)p.Graph.SparseInitializer[0].Indices.DataType);
        Assert.True(bytes.Length < OnnxWriter.ToBytes(g).Length - 500, "the sparse form should be smaller");

        var back = OnnxReader.Load(bytes);
        OnnxTestGraphs.AssertTensor(sparse, back.Initializers["sparse"], "sparse");
        OnnxTestGraphs.AssertTensor(dense, back.Initializers["dense"], "dense");
        Assert.Equal(bytes, OnnxWriter.ToBytes(back, options));
    }

    [Fact]
    public void Sparse_form_is_not_used_when_it_would_be_larger()
    {
        var g = new ModelGraph();
        // 60% zeros passes the fraction but 40% non-zeros cost 12 bytes each, more than 4 bytes per element dense.
        var t = Tensor.Zeros(100);
        for (int i = 0; i < 40; i++) t.Floats[i] = 1;
        g.Initializers["t"] = t;
        var p = ModelProto.Parser.ParseFrom(OnnxWriter.ToBytes(g, new OnnxWriteOptions { SparseZeroFraction = 0.5 }));
        Assert.Empty(p.Graph.SparseInitializer);
        Assert.Single(p.Graph.Initializer);
    }

    [Fact]
    public void Save_replaces_the_file_atomically_and_leaves_no_temporary_files()
    {
        using var dir = OnnxTestGraphs.NewFolder();
        string path = dir.File("model.onnx");
        var g = OnnxTestGraphs.Everything();
        OnnxWriter.Save(g, path);
        var loaded = OnnxReader.Load(path);
        loaded.Metadata.ModelVersion = 43;
        OnnxWriter.Save(loaded, path);  // over the file it came from

        Assert.Equal(43, OnnxReader.Load(path).Metadata.ModelVersion);
        Assert.Equal(["model.onnx"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Failed_save_keeps_the_old_file_and_removes_its_temporary_files()
    {
        using var dir = OnnxTestGraphs.NewFolder();
        string path = dir.File("model.onnx");
        OnnxWriter.Save(OnnxTestGraphs.Everything(), path);
        byte[] before = File.ReadAllBytes(path);

        var broken = OnnxTestGraphs.Everything();
        broken.Nodes.Add(new Node("Constant", "bad", [], ["k"]).With("value", AttributeValue.Of((Tensor)null!)));
        var e = Assert.Throws<ModelException>(() => OnnxWriter.Save(broken, path, new OnnxWriteOptions { ExternalDataThreshold = 1 }));

        Assert.Contains("'value'", e.Message);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(["model.onnx"], Directory.GetFiles(dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void ToBytes_refuses_external_data()
    {
        Assert.Throws<ArgumentException>(() => OnnxWriter.ToBytes(new ModelGraph(), new OnnxWriteOptions { ExternalDataThreshold = 0 }));
    }
}
