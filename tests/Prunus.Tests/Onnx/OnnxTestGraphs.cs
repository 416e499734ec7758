using System.Text;
using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Tests.Onnx;

/// <summary>Graphs built by hand for the ONNX tests, the committed fixture files, and a deep graph comparison.</summary>
internal static class OnnxTestGraphs
{
    /// <summary>Folder of the committed .onnx fixtures (copied beside the test assembly).</summary>
    public static string DataDirectory => Path.Combine(AppContext.BaseDirectory, "Onnx", "data");

    public static string Fixture(string name) => Path.Combine(DataDirectory, name);

    /// <summary>A new empty folder under the temp directory, removed by disposing the result.</summary>
    public static TempFolder NewFolder() => new();

    /// <summary>
    /// A graph that uses every feature the reader and writer handle: each attribute kind, each initializer type
    /// (with NaN, infinities and negative zero), symbolic and unknown dims, non-tensor value types, subgraphs,
    /// functions, metadata and doc strings.
    /// </summary>
    public static ModelGraph Everything()
    {
        var g = new ModelGraph { Name = "everything", DocString = "graph doc" };
        g.Metadata.IrVersion = 9;
        g.Metadata.Opsets.Clear();
        g.Metadata.Opsets[""] = 17;
        g.Metadata.Opsets["com.example"] = 1;
        g.Metadata.ProducerName = "prunus-tests";
        g.Metadata.ProducerVersion = "0.0.1";
        g.Metadata.Domain = "org.prunus.test";
        g.Metadata.ModelVersion = 42;
        g.Metadata.DocString = "model doc";
        g.Metadata.Properties["author"] = "tests";
        g.Metadata.Properties["note"] = "ünïcödé";

        g.Inputs.Add(new ValueInfo("x", DataType.Float32, [Dim.Sym("N"), 3, new Dim(null, null), 5]) { DocString = "the input" });
        g.Inputs.Add(new ValueInfo("mask", DataType.Bool, null));
        g.Inputs.Add(new ValueInfo("seq", DataType.Undefined, null) { FullType = TypeSpec.Sequence(TypeSpec.Tensor(DataType.Float32, [Dim.Sym("L")])) });
        g.Inputs.Add(new ValueInfo("opt", DataType.Undefined, null) { FullType = TypeSpec.Optional(TypeSpec.Tensor(DataType.Int64, [])) });
        g.Inputs.Add(new ValueInfo("map", DataType.Undefined, null) { FullType = TypeSpec.Map(DataType.Int64, TypeSpec.Tensor(DataType.Float32, null)) });
        g.Inputs.Add(new ValueInfo("sp", DataType.Undefined, null) { FullType = TypeSpec.SparseTensor(DataType.Float32, [4, 4]) });
        g.Inputs.Add(new ValueInfo("untyped", DataType.Undefined, null));
        g.Outputs.Add(new ValueInfo("y", DataType.Float32, [Dim.Sym("N"), 3]));
        g.ValueInfos.Add(new ValueInfo("h", (DataType)10, [Dim.Sym("N"), 8]) { DocString = "a float16 intermediate" });

        g.Initializers["w_f32"] = Tensor.From([1.5f, -0f, float.NaN, float.PositiveInfinity, float.NegativeInfinity, float.Epsilon], 2, 3);
        g.Initializers["w_f64"] = Tensor.From([Math.PI, -0.0], 2);
        g.Initializers["w_i64"] = Tensor.From([long.MinValue, 0L, long.MaxValue], 3);
        g.Initializers["w_i32"] = Tensor.From([int.MinValue, -1, 0, int.MaxValue], 2, 2);
        g.Initializers["w_i8"] = Tensor.From(new sbyte[] { -128, -1, 0, 127 }, 4);
        g.Initializers["w_u8"] = Tensor.From(new byte[] { 0, 128, 255 }, 3);
        g.Initializers["w_bool"] = Tensor.From([true, false, true, true, false], 5);
        g.Initializers["w_scalar"] = Tensor.Scalar(2.5f);
        g.Initializers["w_empty"] = Tensor.Zeros(0, 2);

        var sub = new ModelGraph { Name = "body", DocString = "subgraph doc" };
        sub.Inputs.Add(new ValueInfo("i", DataType.Int64, []));
        sub.Outputs.Add(new ValueInfo("o", DataType.Float32, [2]));
        sub.Initializers["sub_w"] = Tensor.From([3f, 4f], 2);
        sub.Nodes.Add(new Node("Add", "sub_add", ["sub_w", "sub_w"], ["o"]));

        var other = new ModelGraph { Name = "other" };
        other.Outputs.Add(new ValueInfo("z", DataType.Float32, null));
        other.Nodes.Add(new Node("Constant", "c", [], ["z"]).With("value_float", AttributeValue.Of(1f)));

        var all = new Node("Everything", "all_kinds", ["x", "", "w_f32"], ["y", "aux"]) { Domain = "com.example", DocString = "node doc", Overload = "v2" };
        all.With("f", AttributeValue.Of(0.1f).WithDocString("attribute doc"))
            .With("i", AttributeValue.Of(-7L))
            .With("s", AttributeValue.Of("héllo"))
            .With("s_bytes", AttributeValue.OfBytes([0, 255, 1]))
            .With("t", AttributeValue.Of(Tensor.From([1L, 2L, 3L], 3)))
            .With("g", AttributeValue.Of(sub))
            .With("floats", AttributeValue.Of([1f, -2.5f, float.NaN]))
            .With("ints", AttributeValue.Of([1L, -2L, long.MaxValue]))
            .With("strings", AttributeValue.Of("a", "", "ç"))
            .With("tensors", AttributeValue.Of([Tensor.From([1f], 1), Tensor.From(new sbyte[] { -1, 1 }, 2)]))
            .With("graphs", AttributeValue.Of([other, new ModelGraph { Name = "" }]))
            .With("sparse", AttributeValue.Sparse(Tensor.From([0f, 0f, 5f, 0f, 0f, -1f], 2, 3)))
            .With("sparses", AttributeValue.Sparse([Tensor.From([0L, 9L, 0L], 3), Tensor.From([true, false], 2)]))
            .With("tp", AttributeValue.Of(TypeSpec.Tensor(DataType.Float32, [Dim.Sym("B"), 2])))
            .With("tps", AttributeValue.Of([TypeSpec.Sequence(TypeSpec.Tensor(DataType.Int8, null)), TypeSpec.Unspecified]))
            .With("empty_ints", AttributeValue.Of(Array.Empty<long>()));
        g.Nodes.Add(all);
        g.Nodes.Add(new Node("Relu", "", ["y"], ["r"]));

        var f = new ModelFunction("com.example", "Everything") { Overload = "v2", DocString = "function doc" };
        f.Inputs.AddRange(["a", "b", "c"]);
        f.Outputs.AddRange(["y", "aux"]);
        f.AttributeNames.Add("f");
        f.AttributeDefaults["i"] = AttributeValue.Of(3L);
        f.Nodes.Add(new Node("LeakyRelu", "lr", ["a"], ["y"]).With("alpha", AttributeValue.Reference(AttributeKind.Float, "f")));
        f.Nodes.Add(new Node("Identity", "id", ["c"], ["aux"]));
        f.ValueInfos.Add(new ValueInfo("a", DataType.Float32, null));
        f.Opsets[""] = 17;
        g.Metadata.Functions.Add(f);
        return g;
    }

    /// <summary>Asserts two graphs are equal in every part the reader and writer keep (bitwise for tensor data).</summary>
    public static void AssertEqual(ModelGraph expected, ModelGraph actual, string path = "graph")
    {
        Assert.Equal(expected.Name, actual.Name);
        Assert.Equal(expected.DocString, actual.DocString);
        AssertInfos(expected.Inputs, actual.Inputs);
        AssertInfos(expected.Outputs, actual.Outputs);
        AssertInfos(expected.ValueInfos, actual.ValueInfos);
        Assert.Equal(expected.Initializers.Keys, actual.Initializers.Keys);
        foreach (var (name, t) in expected.Initializers) AssertTensor(t, actual.Initializers[name], $"{path}.{name}");
        AssertNodes(expected.Nodes, actual.Nodes, path);
    }

    public static void AssertMetadata(ModelMetadata expected, ModelMetadata actual)
    {
        Assert.Equal(expected.IrVersion, actual.IrVersion);
        Assert.Equal(expected.Opsets, actual.Opsets);
        Assert.Equal(expected.ProducerName, actual.ProducerName);
        Assert.Equal(expected.ProducerVersion, actual.ProducerVersion);
        Assert.Equal(expected.Domain, actual.Domain);
        Assert.Equal(expected.ModelVersion, actual.ModelVersion);
        Assert.Equal(expected.DocString, actual.DocString);
        Assert.Equal(expected.Properties, actual.Properties);
        Assert.Equal(expected.Functions.Count, actual.Functions.Count);
        for (int i = 0; i < expected.Functions.Count; i++)
        {
            var (e, a) = (expected.Functions[i], actual.Functions[i]);
            Assert.Equal((e.Domain, e.Name, e.Overload, e.DocString), (a.Domain, a.Name, a.Overload, a.DocString));
            Assert.Equal(e.Inputs, a.Inputs);
            Assert.Equal(e.Outputs, a.Outputs);
            Assert.Equal(e.AttributeNames, a.AttributeNames);
            Assert.Equal(e.AttributeDefaults.Keys, a.AttributeDefaults.Keys);
            foreach (var (k, v) in e.AttributeDefaults) AssertAttribute(v, a.AttributeDefaults[k], $"{e}.{k}");
            AssertNodes(e.Nodes, a.Nodes, e.ToString());
            AssertInfos(e.ValueInfos, a.ValueInfos);
            Assert.Equal(e.Opsets, a.Opsets);
        }
    }

    public static void AssertTensor(Tensor expected, Tensor actual, string what)
    {
        Assert.True(expected.Type == actual.Type, $"{what}: type {actual.Type}, expected {expected.Type}");
        Assert.True(expected.Shape.SequenceEqual(actual.Shape), $"{what}: shape {ShapeMath.Format(actual.Shape)}, expected {ShapeMath.Format(expected.Shape)}");
        Assert.True(Bits(expected).SequenceEqual(Bits(actual)), $"{what}: data differs");
    }

    /// <summary>The elements as bytes, so that NaN payloads and negative zeros compare exactly.</summary>
    public static byte[] Bits(Tensor t) => t.Type switch
    {
        DataType.Float32 => t.Span<float>().ToArray().SelectMany(BitConverter.GetBytes).ToArray(),
        DataType.Float64 => t.Span<double>().ToArray().SelectMany(BitConverter.GetBytes).ToArray(),
        DataType.Int64 => t.Span<long>().ToArray().SelectMany(BitConverter.GetBytes).ToArray(),
        DataType.Int32 => t.Span<int>().ToArray().SelectMany(BitConverter.GetBytes).ToArray(),
        DataType.Int8 => t.Span<sbyte>().ToArray().Select(v => (byte)v).ToArray(),
        DataType.UInt8 => t.Span<byte>().ToArray(),
        DataType.Bool => t.Span<bool>().ToArray().Select(v => v ? (byte)1 : (byte)0).ToArray(),
        _ => throw new NotSupportedException(t.Type.ToString()),
    };

    private static void AssertNodes(List<Node> expected, List<Node> actual, string path)
    {
        Assert.Equal(expected.Count, actual.Count);
        for (int i = 0; i < expected.Count; i++)
        {
            var (e, a) = (expected[i], actual[i]);
            Assert.Equal((e.OpType, e.Name, e.Domain, e.DocString, e.Overload), (a.OpType, a.Name, a.Domain, a.DocString, a.Overload));
            Assert.Equal(e.Inputs, a.Inputs);
            Assert.Equal(e.Outputs, a.Outputs);
            Assert.Equal(e.Attributes.Keys, a.Attributes.Keys);
            foreach (var (k, v) in e.Attributes) AssertAttribute(v, a.Attributes[k], $"{path}/{e.Name}.{k}");
        }
    }

    private static void AssertAttribute(AttributeValue e, AttributeValue a, string what)
    {
        Assert.True(e.Kind == a.Kind, $"{what}: kind {a.Kind}, expected {e.Kind}");
        Assert.Equal(e.DocString, a.DocString);
        Assert.Equal(e.RefAttrName, a.RefAttrName);
        if (e.RefAttrName.Length > 0) return;
        switch (e.Kind)
        {
            case AttributeKind.Float: Assert.Equal(BitConverter.SingleToInt32Bits(e.Float), BitConverter.SingleToInt32Bits(a.Float)); break;
            case AttributeKind.Int: Assert.Equal(e.Int, a.Int); break;
            case AttributeKind.String: Assert.Equal(e.Bytes, a.Bytes); break;
            case AttributeKind.Tensor or AttributeKind.SparseTensor: AssertTensor(e.Tensor!, a.Tensor!, what); break;
            case AttributeKind.Graph: AssertEqual(e.Graph!, a.Graph!, what); break;
            case AttributeKind.Floats: Assert.Equal(e.Floats.Select(BitConverter.SingleToInt32Bits), a.Floats.Select(BitConverter.SingleToInt32Bits)); break;
            case AttributeKind.Ints: Assert.Equal(e.Ints, a.Ints); break;
            case AttributeKind.Strings: Assert.Equal(e.StringList, a.StringList); break;
            case AttributeKind.Tensors or AttributeKind.SparseTensors:
                Assert.Equal(e.TensorList.Length, a.TensorList.Length);
                for (int i = 0; i < e.TensorList.Length; i++) AssertTensor(e.TensorList[i], a.TensorList[i], $"{what}[{i}]");
                break;
            case AttributeKind.Graphs:
                Assert.Equal(e.GraphList.Length, a.GraphList.Length);
                for (int i = 0; i < e.GraphList.Length; i++) AssertEqual(e.GraphList[i], a.GraphList[i], $"{what}[{i}]");
                break;
            case AttributeKind.TypeProto: Assert.Equal(e.TypeValue?.ToString(), a.TypeValue?.ToString()); break;
            case AttributeKind.TypeProtos: Assert.Equal(e.TypeList.Select(t => t.ToString()), a.TypeList.Select(t => t.ToString())); break;
        }
    }

    private static void AssertInfos(List<ValueInfo> expected, List<ValueInfo> actual)
    {
        Assert.Equal(expected.Select(v => (v.ToString(), v.DocString, v.Type)), actual.Select(v => (v.ToString(), v.DocString, v.Type)));
        // Dim.ToString prints "?" for both an unknown dim and a symbol named "?"; compare the parts too.
        Assert.Equal(expected.Select(v => v.Dims is null ? "null" : string.Join(",", v.Dims.Select(d => $"{d.Value}|{d.Symbol}"))),
            actual.Select(v => v.Dims is null ? "null" : string.Join(",", v.Dims.Select(d => $"{d.Value}|{d.Symbol}"))));
    }

    /// <summary>UTF-8 bytes, for messages.</summary>
    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "prunus-onnx-" + Guid.NewGuid().ToString("N"));

    public TempFolder() => Directory.CreateDirectory(Path);

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (IOException) { }
    }
}
