using Google.Protobuf;
using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Onnx.Proto;
using Prunus.Models;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Onnx;

/// <summary>
/// The compact forms of mostly-zero weights: sparse initializers with the smallest index type, and the gap encoding
/// decoded by standard ops; both read back to the same dense tensors, and a 90%-pruned LeNet-5 shrinks to 15% or less.
/// </summary>
public class SparseWeightFormatTests
{
    private static Tensor Sparse(int seed, double density, params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        var rng = new Random(seed);
        var f = t.Floats;
        for (int i = 0; i < f.Length; i++) if (rng.NextDouble() < density) f[i] = (float)(rng.NextDouble() - 0.5);
        return t;
    }

    private static ModelGraph WithInitializers(params (string Name, Tensor Value)[] inits)
    {
        var g = new ModelGraph { Name = "w" };
        foreach (var (n, v) in inits) g.Initializers[n] = v;
        // Every initializer read by one node, as weights are.
        g.Nodes.Add(new Node("Concat", "use", inits.Select(i => i.Name), ["y"]) { Attributes = { ["axis"] = AttributeValue.Of(0L) } });
        g.Outputs.Add(new ValueInfo("y", DataType.Float32, null));
        return g;
    }

    [Theory]
    [InlineData(SparseWeightFormat.Int64Indices)]
    [InlineData(SparseWeightFormat.SmallIndices)]
    [InlineData(SparseWeightFormat.Gaps)]
    public void Every_format_reads_back_the_same_tensors_and_file(SparseWeightFormat format)
    {
        var a = Sparse(1, 0.1, 30, 40);
        a.Floats[0] = float.NaN;
        a.Floats[1199] = 2.5f;
        var far = Tensor.Zeros(2000);   // gaps longer than a byte
        far.Floats[0] = 1; far.Floats[1000] = -1; far.Floats[1999] = 3;
        var dense = TensorAssert.Random(2, -1, 1, 10);
        var g = WithInitializers(("a", a), ("far", far), ("dense", dense));
        var options = new OnnxWriteOptions { SparseZeroFraction = 0.5, SparseFormat = format };
        byte[] bytes = OnnxWriter.ToBytes(g, options);

        var back = OnnxReader.Load(bytes);
        // Sparse initializers are read after the dense ones; folded weights keep their place.
        Assert.Equal(format == SparseWeightFormat.Gaps ? ["a", "far", "dense"] : ["dense", "a", "far"], back.Initializers.Keys);
        OnnxTestGraphs.AssertTensor(a, back.Initializers["a"], "a");
        OnnxTestGraphs.AssertTensor(far, back.Initializers["far"], "far");
        OnnxTestGraphs.AssertTensor(dense, back.Initializers["dense"], "dense");
        Assert.Equal(["Concat"], back.Nodes.Select(n => n.OpType));
        Assert.Equal(bytes, OnnxWriter.ToBytes(back, options));

        var p = ModelProto.Parser.ParseFrom(bytes);
        if (format == SparseWeightFormat.Gaps)
        {
            Assert.Empty(p.Graph.SparseInitializer);
            Assert.Equal(["Cast", "CumSum", "ConstantOfShape", "ScatterElements", "Reshape"], p.Graph.Node.Take(5).Select(n => n.OpType));
            // far: 1 at 0, then 1000 = 3 x 255 + 235, then 999 = 3 x 255 + 234.
            var gaps = p.Graph.Initializer.Single(t => t.Name == "far.gaps");
            Assert.Equal(new byte[] { 0, 255, 255, 255, 235, 255, 255, 255, 234 }, gaps.RawData.ToByteArray());
        }
        else Assert.Equal(["a", "far"], p.Graph.SparseInitializer.Select(s => s.Values.Name));
    }

    /// <summary>int8 weights (a pruned, quantized model's): the gap encoding stores one byte per value and gap.</summary>
    [Fact]
    public void Int8_weights_take_the_gap_encoding_and_read_back_the_same()
    {
        var rng = new Random(5);
        var values = new sbyte[30 * 40];
        for (int i = 0; i < values.Length; i++) if (rng.NextDouble() < 0.1) values[i] = (sbyte)rng.Next(-127, 128);
        values[0] = 0; values[1199] = -128;
        var a = Tensor.From(values, 30, 40);
        var farValues = new sbyte[2000];
        farValues[3] = 7; farValues[1500] = -3;
        var zeroPoints = Tensor.From(new sbyte[500], 500);   // 1-D, all zeros: left dense (runtimes read zero points as initializers)
        var g = WithInitializers(("a", a), ("far", Tensor.From(farValues, 1, 2000)), ("zp", zeroPoints));
        var gaps = new OnnxWriteOptions { SparseZeroFraction = 0.5, SparseFormat = SparseWeightFormat.Gaps };
        byte[] bytes = OnnxWriter.ToBytes(g, gaps);
        var back = OnnxReader.Load(bytes);
        Assert.Equal(DataType.Int8, back.Initializers["a"].Type);
        Assert.Equal(a.Span<sbyte>().ToArray(), back.Initializers["a"].Span<sbyte>().ToArray());
        Assert.Equal(a.Shape, back.Initializers["a"].Shape);
        Assert.Equal(farValues, back.Initializers["far"].Span<sbyte>().ToArray());
        Assert.Equal(new sbyte[500], back.Initializers["zp"].Span<sbyte>().ToArray());
        Assert.Equal(["Concat"], back.Nodes.Select(n => n.OpType));
        Assert.Equal(bytes, OnnxWriter.ToBytes(back, gaps));

        var p = ModelProto.Parser.ParseFrom(bytes);
        Assert.Contains(p.Graph.Initializer, t => t.Name == "zp" && t.RawData.Length == 500);
        Assert.Contains(p.Graph.Initializer, t => t.Name == "far.gaps");
        var stored = p.Graph.Initializer.Single(t => t.Name == "a.values");
        Assert.Equal((int)DataType.Int8, stored.DataType);
        int nonzeros = values.Count(v => v != 0);
        Assert.Equal(nonzeros, stored.RawData.Length);
        // About two bytes per nonzero against one per element dense.
        Assert.True(bytes.Length < values.Length * 0.3 + 2000 + 1100, $"{bytes.Length} bytes");

        // Sparse initializers with indices would not be smaller than the int8 tensor: those stay dense.
        var indexed = new OnnxWriteOptions { SparseZeroFraction = 0.5, SparseFormat = SparseWeightFormat.SmallIndices };
        Assert.Empty(ModelProto.Parser.ParseFrom(OnnxWriter.ToBytes(g, indexed)).Graph.SparseInitializer);
    }

    [Theory]
    [InlineData(new[] { 10, 12 }, 3, 1)]      // int8: 120 elements, linear fits
    [InlineData(new[] { 20, 10 }, 5, 1)]      // int16 linear ties int8 pairs: linear
    [InlineData(new[] { 100, 100, 4 }, 3, 3)] // linear needs int32; three int8 are less
    [InlineData(new[] { 500, 800 }, 6, 1)]    // int32 linear ties two int16: linear
    public void Small_indices_take_the_smallest_type_and_form(int[] shape, int onnxType, int columns)
    {
        var t = Sparse(3, 0.1, shape);
        t.Floats[t.Length - 1] = 1;   // the largest index is there
        var p = ModelProto.Parser.ParseFrom(OnnxWriter.ToBytes(WithInitializers(("w", t)),
            new OnnxWriteOptions { SparseZeroFraction = 0.5, SparseFormat = SparseWeightFormat.SmallIndices }));
        var indices = p.Graph.SparseInitializer.Single().Indices;
        Assert.Equal(onnxType, indices.DataType);
        Assert.Equal(columns == 1 ? 1 : 2, indices.Dims.Count);
        if (columns > 1) Assert.Equal(columns, indices.Dims[1]);
        OnnxTestGraphs.AssertTensor(t, OnnxReader.Load(p.ToByteArray()).Initializers["w"], "w");
    }

    [Fact]
    public void Gap_encoding_falls_back_where_the_graph_cannot_compute_the_weight()
    {
        var t = Sparse(4, 0.05, 40, 40);
        // An initializer that is also a graph input (IR < 4) cannot be a node output.
        var g = WithInitializers(("w", t));
        g.Inputs.Add(new ValueInfo("w", DataType.Float32, [40, 40]));
        var p = ModelProto.Parser.ParseFrom(OnnxWriter.ToBytes(g, new OnnxWriteOptions { SparseZeroFraction = 0.5, SparseFormat = SparseWeightFormat.Gaps }));
        Assert.Equal(TensorProto.Types.DataType.Int64, (TensorProto.Types.DataType)p.Graph.SparseInitializer.Single().Indices.DataType);
        // Opset 10 has no CumSum.
        g = WithInitializers(("w", t));
        g.Metadata.Opsets[""] = 10;
        p = ModelProto.Parser.ParseFrom(OnnxWriter.ToBytes(g, new OnnxWriteOptions { SparseZeroFraction = 0.5, SparseFormat = SparseWeightFormat.Gaps }));
        Assert.Single(p.Graph.SparseInitializer);
        Assert.Equal(["Concat"], p.Graph.Node.Select(n => n.OpType));
    }

    [Fact]
    public void A_decoding_chain_that_does_not_decode_cleanly_is_left_in_the_graph()
    {
        var t = Sparse(5, 0.1, 20, 20);
        var p = ModelProto.Parser.ParseFrom(OnnxWriter.ToBytes(WithInitializers(("w", t)),
            new OnnxWriteOptions { SparseZeroFraction = 0.5, SparseFormat = SparseWeightFormat.Gaps }));
        // A second gap of 0 would scatter two values to one place.
        var gaps = p.Graph.Initializer.Single(i => i.Name == "w.gaps");
        var raw = gaps.RawData.ToByteArray();
        raw[1] = 0;
        gaps.RawData = ByteString.CopyFrom(raw);
        var back = OnnxReader.Load(p.ToByteArray());
        Assert.False(back.Initializers.ContainsKey("w"));
        Assert.Contains(back.Nodes, n => n.OpType == "ScatterElements");
    }

    [Theory]
    [InlineData(5, false)]   // int16
    [InlineData(4, true)]    // uint16
    [InlineData(12, false)]  // uint32
    [InlineData(5, true)]
    public void Reader_accepts_sparse_indices_of_every_integer_width(int onnxType, bool coordinates)
    {
        var type = (TensorProto.Types.DataType)onnxType;
        // [3, 4] with 2.0 at (0, 1) and -1.0 at (2, 3): linear 1 and 11.
        long[] index = coordinates ? [0, 1, 2, 3] : [1, 11];
        var indices = new TensorProto { DataType = (int)type };
        indices.Dims.Add(2);
        if (coordinates) indices.Dims.Add(2);
        if (type == TensorProto.Types.DataType.Uint32) indices.Uint64Data.AddRange(index.Select(i => (ulong)i));
        else if (coordinates) indices.RawData = ByteString.CopyFrom(index.SelectMany(i => BitConverter.GetBytes((short)i)).ToArray());
        else indices.Int32Data.AddRange(index.Select(i => (int)i));
        var values = new TensorProto { DataType = (int)TensorProto.Types.DataType.Float, Name = "w" };
        values.Dims.Add(2);
        values.FloatData.AddRange([2f, -1f]);
        var sparse = new SparseTensorProto { Values = values, Indices = indices };
        sparse.Dims.AddRange([3, 4]);
        var model = new ModelProto { IrVersion = 8, Graph = new GraphProto { Name = "g" } };
        model.OpsetImport.Add(new OperatorSetIdProto { Version = 17 });
        model.Graph.SparseInitializer.Add(sparse);
        var w = OnnxReader.Load(model.ToByteArray()).Initializers["w"];
        var expected = new float[12];
        expected[1] = 2; expected[11] = -1;
        Assert.Equal(expected, w.Floats.ToArray());
    }

    /// <summary>Zeroes the 90% smallest weights of every weight tensor of rank 2 or more, as one-shot magnitude pruning would.</summary>
    internal static ModelGraph Pruned(string model, double sparsity)
    {
        var graph = ModelZoo.Create(model, new ZooOptions());
        foreach (var (name, t) in graph.Initializers)
        {
            if (t.Rank < 2) continue;
            var w = t.Floats;
            var cut = w.ToArray().Select(MathF.Abs).Order().ElementAt((int)(w.Length * sparsity));
            for (int i = 0; i < w.Length; i++) if (MathF.Abs(w[i]) < cut) w[i] = 0;
        }
        return graph;
    }

    [Fact]
    public void A_ninety_percent_sparse_lenet5_file_is_at_most_fifteen_percent_of_the_dense_one()
    {
        var graph = Pruned("lenet5", 0.9);
        long dense = OnnxWriter.ToBytes(graph).Length;
        long Size(SparseWeightFormat f) => OnnxWriter.ToBytes(graph, new OnnxWriteOptions { SparseZeroFraction = 0.5, SparseFormat = f }).Length;
        double gaps = (double)Size(SparseWeightFormat.Gaps) / dense, small = (double)Size(SparseWeightFormat.SmallIndices) / dense;
        double int64 = (double)Size(SparseWeightFormat.Int64Indices) / dense;
        Assert.True(gaps <= 0.15, $"gap-encoded file is {gaps:P1} of the dense one");
        Assert.True(gaps < small && small < int64, $"gaps {gaps:P1}, small indices {small:P1}, int64 indices {int64:P1}");
        // The pruned weights come back exactly.
        var back = OnnxReader.Load(OnnxWriter.ToBytes(graph, new OnnxWriteOptions { SparseZeroFraction = 0.5, SparseFormat = SparseWeightFormat.Gaps }));
        foreach (var (name, t) in graph.Initializers) OnnxTestGraphs.AssertTensor(t, back.Initializers[name], name);
    }
}
