using Google.Protobuf;
using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Onnx.Proto;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Onnx;

public class OnnxExternalDataTests
{
    private static ModelGraph WithWeights()
    {
        var g = new ModelGraph { Name = "ext" };
        g.Initializers["big"] = TensorAssert.Random(3, -1, 1, 100, 10);
        g.Initializers["ids"] = Tensor.From(Enumerable.Range(0, 300).Select(i => (long)i * 1_000_000_007).ToArray(), 300);
        g.Initializers["bias"] = Tensor.From([1f, 2f, 3f, 4f], 4);
        g.Nodes.Add(new Node("Gemm", "fc", ["x", "big", "bias"], ["y"]));
        return g;
    }

    [Fact]
    public void Large_initializers_go_to_one_side_file_and_come_back()
    {
        using var dir = OnnxTestGraphs.NewFolder();
        string path = dir.File("model.onnx");
        var g = WithWeights();
        OnnxWriter.Save(g, path, new OnnxWriteOptions { ExternalDataThreshold = 64 });

        Assert.Equal(["model.onnx", "model.onnx.data"], Directory.GetFiles(dir.Path).Select(Path.GetFileName).Order());
        var p = ModelProto.Parser.ParseFrom(File.ReadAllBytes(path));
        var byName = p.Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var name in new[] { "big", "ids" })
        {
            var t = byName[name];
            Assert.Equal(TensorProto.Types.DataLocation.External, t.DataLocation);
            Assert.False(t.HasRawData);
            var keys = t.ExternalData.ToDictionary(e => e.Key, e => e.Value);
            Assert.Equal("model.onnx.data", keys["location"]);
            Assert.Equal(0, long.Parse(keys["offset"]) % 4096);
        }
        Assert.True(byName["bias"].HasRawData);
        Assert.True(new FileInfo(path).Length < 1000);

        var back = OnnxReader.Load(path);
        OnnxTestGraphs.AssertEqual(g, back);
    }

    [Fact]
    public void External_data_file_name_can_be_chosen_and_a_stream_load_finds_it_through_the_options()
    {
        using var dir = OnnxTestGraphs.NewFolder();
        string path = dir.File("m.onnx");
        var g = WithWeights();
        OnnxWriter.Save(g, path, new OnnxWriteOptions { ExternalDataThreshold = 0, ExternalDataFileName = "weights.bin" });
        Assert.True(File.Exists(dir.File("weights.bin")));

        byte[] bytes = File.ReadAllBytes(path);
        var e = Assert.Throws<ModelException>(() => OnnxReader.Load(bytes));
        Assert.Contains("ExternalDataDirectory", e.Message);
        Assert.Contains("'weights.bin'", e.Message);

        using var stream = new MemoryStream(bytes);
        OnnxTestGraphs.AssertEqual(g, OnnxReader.Load(stream, new OnnxReadOptions { ExternalDataDirectory = dir.Path }));
    }

    [Theory]
    [InlineData("../secret.bin", "'..'")]
    [InlineData("sub/../../secret.bin", "'..'")]
    [InlineData("..\\secret.bin", "'..'")]
    [InlineData("/etc/hostname", "absolute")]
    [InlineData("C:/Windows/win.ini", "absolute")]
    [InlineData("\\\\server\\share\\x.bin", "absolute")]
    [InlineData(".", "outside")]
    public void A_location_outside_the_model_folder_is_refused(string location, string expected)
    {
        using var dir = OnnxTestGraphs.NewFolder();
        Directory.CreateDirectory(dir.File("model"));
        Directory.CreateDirectory(dir.File("model/sub"));
        File.WriteAllBytes(dir.File("secret.bin"), new byte[16]);
        string path = dir.File("model/m.onnx");
        File.WriteAllBytes(path, ModelWithExternal(location, dims: [4]));

        var e = Assert.Throws<ModelException>(() => OnnxReader.Load(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains("initializer 'w'", e.Message);
    }

    [Fact]
    public void A_location_through_a_symbolic_link_is_refused()
    {
        using var dir = OnnxTestGraphs.NewFolder();
        Directory.CreateDirectory(dir.File("model"));
        File.WriteAllBytes(dir.File("secret.bin"), new byte[16]);
        try
        {
            File.CreateSymbolicLink(dir.File("model/link.bin"), dir.File("secret.bin"));
            Directory.CreateSymbolicLink(dir.File("model/up"), dir.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return;  // the file system cannot make links here; nothing to test
        }
        File.WriteAllBytes(dir.File("model/a.onnx"), ModelWithExternal("link.bin", dims: [4]));
        File.WriteAllBytes(dir.File("model/b.onnx"), ModelWithExternal("up/secret.bin", dims: [4]));

        Assert.Contains("symbolic link", Assert.Throws<ModelException>(() => OnnxReader.Load(dir.File("model/a.onnx"))).Message);
        Assert.Contains("symbolic link", Assert.Throws<ModelException>(() => OnnxReader.Load(dir.File("model/b.onnx"))).Message);
    }

    [Theory]
    [InlineData(null, null, 15, "needs 16")]        // file shorter than the tensor
    [InlineData(0L, 8L, 16, "needs 16")]            // length disagrees with the shape
    [InlineData(32L, null, 16, "beyond the end")]   // offset past the end
    [InlineData(8L, 16L, 16, "beyond the end")]     // range past the end
    public void External_ranges_that_do_not_match_are_refused(long? offset, long? length, int fileBytes, string expected)
    {
        using var dir = OnnxTestGraphs.NewFolder();
        File.WriteAllBytes(dir.File("w.bin"), new byte[fileBytes]);
        File.WriteAllBytes(dir.File("m.onnx"), ModelWithExternal("w.bin", dims: [4], offset: offset, length: length));
        var e = Assert.Throws<ModelException>(() => OnnxReader.Load(dir.File("m.onnx")));
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("offset", "-5")]
    [InlineData("length", "12abc")]
    [InlineData("offset", "99999999999999999999999")]
    public void Malformed_external_numbers_are_refused(string key, string value)
    {
        using var dir = OnnxTestGraphs.NewFolder();
        File.WriteAllBytes(dir.File("w.bin"), new byte[16]);
        var m = ModelProto.Parser.ParseFrom(ModelWithExternal("w.bin", dims: [4]));
        m.Graph.Initializer[0].ExternalData.Add(new StringStringEntryProto { Key = key, Value = value });
        File.WriteAllBytes(dir.File("m.onnx"), m.ToByteArray());
        var e = Assert.Throws<ModelException>(() => OnnxReader.Load(dir.File("m.onnx")));
        Assert.Contains($"'{value}'", e.Message);
    }

    [Fact]
    public void A_missing_external_file_is_named()
    {
        using var dir = OnnxTestGraphs.NewFolder();
        File.WriteAllBytes(dir.File("m.onnx"), ModelWithExternal("gone.bin", dims: [4]));
        var e = Assert.Throws<ModelException>(() => OnnxReader.Load(dir.File("m.onnx")));
        Assert.Contains("'gone.bin' does not exist", e.Message);
    }

    [Fact]
    public void External_float16_data_is_widened_to_float32()
    {
        using var dir = OnnxTestGraphs.NewFolder();
        var halves = new[] { (Half)1.5f, (Half)(-2f), Half.PositiveInfinity };
        File.WriteAllBytes(dir.File("h.bin"), [0, 0, 0, 0, .. halves.SelectMany(h => BitConverter.GetBytes(BitConverter.HalfToUInt16Bits(h)))]);
        File.WriteAllBytes(dir.File("m.onnx"), ModelWithExternal("h.bin", dims: [3], dataType: 10, offset: 4));
        var t = OnnxReader.Load(dir.File("m.onnx")).Initializers["w"];
        Assert.Equal(DataType.Float32, t.Type);
        Assert.Equal([1.5f, -2f, float.PositiveInfinity], t.Floats.ToArray());
    }

    /// <summary>A model whose one float initializer 'w' keeps its data externally.</summary>
    internal static byte[] ModelWithExternal(string location, long[] dims, int dataType = 1, long? offset = null, long? length = null)
    {
        var t = new TensorProto { Name = "w", DataType = dataType, DataLocation = TensorProto.Types.DataLocation.External };
        t.Dims.AddRange(dims);
        t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        if (offset is long o) t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = o.ToString() });
        if (length is long l) t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = l.ToString() });
        var m = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "g" } };
        m.Graph.Initializer.Add(t);
        m.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        return m.ToByteArray();
    }
}
