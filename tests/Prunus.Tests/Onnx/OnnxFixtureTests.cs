using System.Diagnostics;
using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Tensors;

namespace Prunus.Tests.Onnx;

/// <summary>Files made by the ONNX project's own Python tools (data/make_models.py), read by Prunus.</summary>
public class OnnxFixtureTests
{
    /// <summary>The weight formula of make_models.py: ((i % 7) - 3) * scale.</summary>
    private static float[] Pattern(int n, float scale) => Enumerable.Range(0, n).Select(i => (i % 7 - 3) * scale).ToArray();

    [Fact]
    public void Tiny_cnn_loads_with_its_nodes_attributes_weights_and_metadata()
    {
        var g = OnnxReader.Load(OnnxTestGraphs.Fixture("tiny_cnn.onnx"));

        Assert.Equal("tiny_cnn", g.Name);
        Assert.Equal(["Conv", "Relu", "MaxPool", "Constant", "Reshape", "Gemm"], g.Nodes.Select(n => n.OpType));
        var conv = g.FindNode("conv")!;
        Assert.Equal(["x", "conv.weight", "conv.bias"], conv.Inputs);
        Assert.Equal([3L, 3L], conv.Attributes["kernel_shape"].Ints);
        Assert.Equal([1L, 1L, 1L, 1L], conv.Attributes["pads"].Ints);
        var fc = g.FindNode("fc")!;
        Assert.Equal(1L, fc.Attributes["transB"].Int);
        Assert.Equal(1f, fc.Attributes["alpha"].Float);

        var shape = g.FindNode("shape_const")!.Attributes["value"];
        Assert.Equal(AttributeKind.Tensor, shape.Kind);
        Assert.Equal([-1L, 64L], shape.Tensor!.Span<long>().ToArray());

        Assert.Equal([4, 1, 3, 3], g.Initializers["conv.weight"].Shape);
        Assert.Equal(Pattern(36, 0.125f), g.Initializers["conv.weight"].Floats.ToArray());
        Assert.Equal([0.5f, -0.5f, 0.25f, 0f], g.Initializers["conv.bias"].Floats.ToArray());
        Assert.Equal(Pattern(192, 0.0625f), g.Initializers["fc.weight"].Floats.ToArray());
        Assert.Equal([1f, 2f, 3f], g.Initializers["fc.bias"].Floats.ToArray());

        Assert.Equal("x: Float32[N,1,8,8]", g.Inputs.Single().ToString());
        Assert.Equal("y: Float32[N,3]", g.Outputs.Single().ToString());
        Assert.Equal(["c", "r", "p", "shape", "flat"], g.ValueInfos.Select(v => v.Name));
        Assert.Equal("p: Float32[N,4,4,4]", g.ValueInfos[2].ToString());
        Assert.Equal("A tiny convolutional classifier for reader tests.", g.DocString);

        var m = g.Metadata;
        Assert.Equal(7, m.IrVersion);
        Assert.Equal(13, m.Opset);
        Assert.Equal("prunus-test-fixtures", m.ProducerName);
        Assert.Equal("1", m.ProducerVersion);
        Assert.Equal(3, m.ModelVersion);
        Assert.Equal("Made by make_models.py.", m.DocString);
        Assert.Equal(new Dictionary<string, string> { ["license"] = "MIT", ["purpose"] = "tests" }, m.Properties);
        Assert.Equal(["conv.weight", "conv.bias", "fc.weight", "fc.bias"], g.Initializers.Keys);
        Assert.Equal(["x"], g.DataInputs.Select(i => i.Name));
    }

    [Fact]
    public void Mixed_types_load_from_raw_and_typed_fields_alike()
    {
        var g = OnnxReader.Load(OnnxTestGraphs.Fixture("mixed_types.onnx"));
        var w = g.Initializers;
        float[] halves = Pattern(6, 0.125f);

        // float16 and bfloat16 are widened to float32 on import; these values are exact in both.
        Assert.All(new[] { "f16_raw", "f16_typed", "bf16_typed" }, name =>
        {
            Assert.Equal(DataType.Float32, w[name].Type);
            Assert.Equal([2, 3], w[name].Shape);
            Assert.Equal(halves, w[name].Floats.ToArray());
        });
        Assert.Equal([1.5f, -3f], w["bf16_raw"].Floats.ToArray());
        Assert.Equal(new sbyte[] { -128, -1, 0, 127 }, w["i8_typed"].Span<sbyte>().ToArray());
        Assert.Equal(new byte[] { 0, 1, 200, 255 }, w["u8_raw"].Span<byte>().ToArray());
        Assert.Equal([true, false, true], w["bool_typed"].Span<bool>().ToArray());
        Assert.Equal([true, false, false, true], w["bool_raw"].Span<bool>().ToArray());
        Assert.Equal([int.MinValue, -1, 0, int.MaxValue], w["i32_typed"].Span<int>().ToArray());
        Assert.Equal([long.MinValue, 0, long.MaxValue], w["i64_typed"].Span<long>().ToArray());
        Assert.Equal([0.1, -2.5], w["f64_typed"].Span<double>().ToArray());
        Assert.Empty(w["scalar_raw"].Shape);
        Assert.Equal(7f, w["scalar_raw"].Floats[0]);
        Assert.Equal([0, 3], w["empty_raw"].Shape);

        // Sparse initializers, densified: [NNZ, rank] coordinates and [NNZ] linear indices.
        Assert.Equal([0f, 1.5f, 0f, 0f, -2f, 0f, 0f, 0f, 0f, 0f, 0f, 4f], w["sparse_coo"].Floats.ToArray());
        Assert.Equal([3, 4], w["sparse_coo"].Shape);
        Assert.Equal([0L, 0, 5, 0, 0, 0, 0, 0, 0, -6], w["sparse_linear"].Span<long>().ToArray());

        var branch = g.FindNode("choose")!;
        var then = branch.Attributes["then_branch"].Graph!;
        Assert.Equal("then_branch", then.Name);
        Assert.Equal([1f, 2f], then.Nodes[0].Attributes["value_floats"].Floats);
        var other = branch.Attributes["else_branch"].Graph!;
        Assert.Equal([3f, 4f], other.Nodes[0].Attributes["value"].Tensor!.Floats.ToArray());

        Assert.Equal((DataType)10, g.Outputs[1].Type);
        Assert.Equal("seq(Float32[L])", g.Outputs[2].FullType!.ToString());
    }

    [Theory]
    [InlineData("tiny_cnn.onnx")]
    [InlineData("mixed_types.onnx")]
    public void Fixtures_write_back_stably(string name)
    {
        var g = OnnxReader.Load(OnnxTestGraphs.Fixture(name));
        byte[] first = OnnxWriter.ToBytes(g);
        var back = OnnxReader.Load(first);
        OnnxTestGraphs.AssertEqual(g, back);
        OnnxTestGraphs.AssertMetadata(g.Metadata, back.Metadata);
        Assert.Equal(first, OnnxWriter.ToBytes(back));
    }

    /// <summary>
    /// What Prunus writes (sparse initializers and external data included) must pass the ONNX checker and hold the
    /// same numbers when the reference implementation reads it. Runs only where python3 with the onnx package is
    /// installed.
    /// </summary>
    [Fact]
    public void Written_files_pass_the_onnx_checker_when_python_onnx_is_available()
    {
        const string python = "/usr/bin/python3";
        if (!File.Exists(python) || !PythonHasOnnx(python)) return;

        using var dir = OnnxTestGraphs.NewFolder();
        var g = OnnxReader.Load(OnnxTestGraphs.Fixture("tiny_cnn.onnx"));
        var sparse = Tensor.Zeros(3, 64);
        sparse.Floats[5] = 2.5f;
        sparse.Floats[130] = -1f;
        g.Initializers["fc.weight"] = sparse;
        string path = dir.File("out.onnx");
        OnnxWriter.Save(g, path, new OnnxWriteOptions { SparseZeroFraction = 0.5, ExternalDataThreshold = 100 });

        string script = """
            import os, sys, onnx
            from onnx import numpy_helper
            from onnx.external_data_helper import load_external_data_for_model
            m = onnx.load(sys.argv[1], load_external_data=False)
            assert [t.name for t in m.graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL] == ["conv.weight"]
            load_external_data_for_model(m, os.path.dirname(sys.argv[1]))
            onnx.checker.check_model(m)
            inits = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
            assert [s.values.name for s in m.graph.sparse_initializer] == ["fc.weight"], m.graph.sparse_initializer
            w = inits["conv.weight"].flatten()
            assert all(w[i] == ((i % 7) - 3) * 0.125 for i in range(36)), w
            s = m.graph.sparse_initializer[0]
            assert list(numpy_helper.to_array(s.indices)) == [5, 130]
            assert list(numpy_helper.to_array(s.values)) == [2.5, -1.0]
            assert m.opset_import[0].version == 13 and m.producer_name == "prunus-test-fixtures"
            print("ok")
            """;
        string scriptPath = dir.File("check.py");
        File.WriteAllText(scriptPath, script);
        var (code, output) = Run(python, scriptPath, path);
        Assert.True(code == 0 && output.Trim() == "ok", output);
    }

    private static bool PythonHasOnnx(string python) => Run(python, "-c", "import onnx").Code == 0;

    private static (int Code, string Output) Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill();
            return (-1, "timed out");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }
}
