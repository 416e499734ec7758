using Google.Protobuf;
using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Onnx.Proto;
using Prunus.Tensors;
using Prunus.Tests.Ops.Quantization;

namespace Prunus.Tests.Onnx;

/// <summary>The 4- and 16-bit integer types in ONNX files: 4-bit packed two per byte (low nibble first), 16-bit little-endian.</summary>
public class QuantizedTypeFileTests
{
    private static ModelGraph WithInitializers(params (string Name, Tensor Value)[] tensors)
    {
        var g = new ModelGraph { Name = "types" };
        g.Metadata.Opsets[""] = 21;
        foreach (var (name, t) in tensors)
        {
            g.Initializers[name] = t;
            g.Outputs.Add(new ValueInfo(name, t.Type, t.Shape.Select(d => (Dim)d).ToArray()));
        }
        return g;
    }

    [Fact]
    public void Every_type_round_trips_with_odd_counts()
    {
        var g = WithInitializers(
            ("i4", QdqGraphs.Int(DataType.Int4, [1, -2, 7, -8, 0], 5)),
            ("u4", QdqGraphs.Int(DataType.UInt4, [0, 15, 3, 9, 1, 14, 2], 7)),
            ("i4_scalar", QdqGraphs.Int(DataType.Int4, [-3])),
            ("i4_empty", Tensor.Zeros(DataType.Int4, 0, 3)),
            ("i16", QdqGraphs.Int(DataType.Int16, [-32768, 32767, -1], 3)),
            ("u16", QdqGraphs.Int(DataType.UInt16, [0, 65535, 258], 1, 3)));
        var bytes = OnnxWriter.ToBytes(g);
        var back = OnnxReader.Load(bytes);
        foreach (var (name, t) in g.Initializers)
        {
            var r = back.Initializers[name];
            Assert.Equal(t.Type, r.Type);
            Assert.Equal(t.Shape, r.Shape);
            for (int i = 0; i < t.Length; i++) Assert.Equal(t.GetAsDouble(i), r.GetAsDouble(i));
        }
        Assert.Equal(bytes, OnnxWriter.ToBytes(back));
    }

    [Fact]
    public void Four_bit_values_are_packed_low_nibble_first_and_padded()
    {
        var p = ModelProto.Parser.ParseFrom(OnnxWriter.ToBytes(WithInitializers(
            ("i4", QdqGraphs.Int(DataType.Int4, [1, -2, 7, -8, 0], 5)),
            ("u4", QdqGraphs.Int(DataType.UInt4, [15, 0, 3], 3)))));
        Assert.True(p.IrVersion >= 10, $"IR version {p.IrVersion}: the 4-bit types need 10");
        var i4 = p.Graph.Initializer.Single(t => t.Name == "i4");
        Assert.Equal(22, i4.DataType);
        Assert.Equal(new byte[] { 0xE1, 0x87, 0x00 }, i4.RawData.ToByteArray());
        var u4 = p.Graph.Initializer.Single(t => t.Name == "u4");
        Assert.Equal(21, u4.DataType);
        Assert.Equal(new byte[] { 0x0F, 0x03 }, u4.RawData.ToByteArray());
    }

    [Fact]
    public void Typed_fields_hold_two_four_bit_values_per_int32_entry()
    {
        var t = new TensorProto { Name = "w", DataType = 22 };
        t.Dims.Add(3);
        t.Int32Data.Add(0xE1);
        t.Int32Data.Add(0x07);
        var s = new TensorProto { Name = "h", DataType = 5 };
        s.Dims.Add(2);
        s.Int32Data.Add(-300);
        s.Int32Data.Add(300);
        var back = OnnxReader.Load(Model(t, s));
        Assert.Equal(new sbyte[] { 1, -2, 7 }, back.Initializers["w"].Span<sbyte>().ToArray());
        Assert.Equal(new short[] { -300, 300 }, back.Initializers["h"].Span<short>().ToArray());
    }

    [Fact]
    public void Four_bit_data_of_the_wrong_size_is_an_error()
    {
        var t = new TensorProto { Name = "w", DataType = 21, RawData = ByteString.CopyFrom(1, 2, 3) };
        t.Dims.Add(3);
        var e = Assert.Throws<ModelException>(() => OnnxReader.Load(Model(t)));
        Assert.Contains("needs 2", e.Message);
    }

    [Fact]
    public void External_data_holds_packed_four_bit_weights()
    {
        var dir = Directory.CreateTempSubdirectory("prunus-int4-");
        try
        {
            var g = WithInitializers(("w", QdqGraphs.Int(DataType.Int4, Enumerable.Range(0, 101).Select(i => i % 16 - 8).ToArray(), 101)));
            var path = Path.Combine(dir.FullName, "m.onnx");
            OnnxWriter.Save(g, path, new OnnxWriteOptions { ExternalDataThreshold = 16 });
            Assert.Equal(51, new FileInfo(path + ".data").Length);
            var back = OnnxReader.Load(path).Initializers["w"];
            Assert.Equal(g.Initializers["w"].Span<sbyte>().ToArray(), back.Span<sbyte>().ToArray());
        }
        finally { dir.Delete(recursive: true); }
    }

    private static byte[] Model(params TensorProto[] initializers)
    {
        var m = new ModelProto { IrVersion = 10, Graph = new GraphProto { Name = "g" } };
        m.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 21 });
        foreach (var t in initializers)
        {
            m.Graph.Initializer.Add(t);
            m.Graph.Output.Add(new ValueInfoProto { Name = t.Name });
        }
        return m.ToByteArray();
    }
}
