using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.IO;
using Prunus.Models;
using Prunus.Tensors;

namespace Prunus.Tests.Cli;

/// <summary>
/// A temporary folder shared by the tests of one class: the synthetic dataset (gzipped and raw), zoo models saved as
/// ONNX, small hand-built models and NPY inputs. Each test writes its outputs into a fresh <see cref="NewFolder"/>.
/// </summary>
public sealed class CliWorkspace : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("prunus-cli-").FullName;

    /// <summary>The synthetic dataset with gzipped IDX files.</summary>
    public string DataGz { get; }

    /// <summary>The synthetic dataset with raw IDX files.</summary>
    public string DataRaw { get; }

    /// <summary>Untrained zoo MLP, input [N,1,28,28], output logits [N,10].</summary>
    public string Mlp { get; }

    /// <summary>A model whose input [N,3,32,32] does not fit 28x28 gray images.</summary>
    public string WrongInput { get; }

    /// <summary>Two inputs a [N,4] and b [N,4]; outputs "sum/total:0" = a + b and "scaled" = Linear(a).</summary>
    public string TwoInputs { get; }

    /// <summary>A model with an op Prunus does not implement (com.example.Mystery) between two supported ones.</summary>
    public string Unsupported { get; }

    /// <summary>NPY float32 [3,4] inputs for <see cref="TwoInputs"/>.</summary>
    public string NpyA { get; }
    public string NpyB { get; }

    public CliWorkspace()
    {
        DataGz = SyntheticFashionMnist.Write(Path.Combine(Root, "data-gz"), gzip: true);
        DataRaw = SyntheticFashionMnist.Write(Path.Combine(Root, "data-raw"), gzip: false, seed: 2);
        Mlp = Save(ModelZoo.Create("mlp"), "mlp.onnx");
        WrongInput = Save(ModelZoo.Create("mlp", new ZooOptions { Channels = 3, Height = 32, ImageWidth = 32 }), "wrong-input.onnx");
        TwoInputs = Save(BuildTwoInputs(), "two-inputs.onnx");
        Unsupported = Save(BuildUnsupported(), "unsupported.onnx");
        NpyA = WriteNpy("a.npy", Tensor.From(Enumerable.Range(0, 12).Select(i => i * 0.25f - 1).ToArray(), 3, 4));
        NpyB = WriteNpy("b.npy", Tensor.From(Enumerable.Range(0, 12).Select(i => 2f - i * 0.5f).ToArray(), 3, 4));
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>A new empty folder inside the workspace.</summary>
    public string NewFolder(string prefix = "out")
    {
        var dir = Path.Combine(Root, $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    public string Save(ModelGraph graph, string name)
    {
        var path = Path.Combine(Root, name);
        OnnxWriter.Save(graph, path);
        return path;
    }

    public string WriteNpy(string name, Tensor t)
    {
        var path = Path.Combine(Root, name);
        Npy.Write(path, t);
        return path;
    }

    public string WriteBytes(string name, byte[] bytes)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static ModelGraph BuildTwoInputs()
    {
        var b = new GraphBuilder("two-inputs", seed: 3);
        var a = b.Input("a", Dim.Sym("N"), 4);
        var c = b.Input("b", Dim.Sym("N"), 4);
        b.Output(b.Add(a, c), "sum/total:0");
        b.Output(b.Linear(a, 2, name: "fc"), "scaled");
        return b.Build();
    }

    private static ModelGraph BuildUnsupported()
    {
        var b = new GraphBuilder("unsupported", seed: 4);
        var x = b.Input("x", Dim.Sym("N"), 8);
        var h = b.Linear(x, 6, name: "fc1");
        var g = b.Build();
        // Added by hand: the builder infers shapes and so refuses ops it does not know.
        g.Nodes.Add(new Node("Mystery", "mystery1", [h], ["m"]) { Domain = "com.example" });
        g.Metadata.Opsets["com.example"] = 1;
        g.Nodes.Add(new Node("Relu", "relu1", ["m"], ["y"]));
        g.Outputs.Add(new ValueInfo("y", DataType.Float32, [Dim.Sym("N"), 6]));
        return g;
    }
}
