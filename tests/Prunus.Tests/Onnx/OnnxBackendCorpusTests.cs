using Prunus.Graph.Onnx;

namespace Prunus.Tests.Onnx;

/// <summary>
/// Every model and test tensor of the ONNX backend test suite (Debian's libonnx-testdata), where installed: each must
/// load, or be refused with a <see cref="ModelException"/> for holding an element type Prunus cannot store, and
/// every model that loads must write back stably. Test tensors must load or be refused cleanly.
/// </summary>
public class OnnxBackendCorpusTests
{
    private const string Corpus = "/usr/share/libonnx-testdata/data";

    [Fact]
    public void Backend_test_models_load_and_write_back_stably()
    {
        if (!Directory.Exists(Corpus)) return;
        var models = Directory.GetFiles(Corpus, "model.onnx", SearchOption.AllDirectories).Order().ToArray();
        var refused = new List<string>();
        foreach (var path in models)
        {
            try
            {
                var g = OnnxReader.Load(path);
                byte[] first = OnnxWriter.ToBytes(g);
                Assert.True(first.SequenceEqual(OnnxWriter.ToBytes(OnnxReader.Load(first))), $"{path} does not write back stably");
            }
            catch (ModelException e)
            {
                Assert.Contains("which Prunus cannot load", e.Message);
                refused.Add(path);
            }
        }
        // Only models with string (or other unstorable) constants may be refused.
        Assert.True(refused.Count * 50 < models.Length, $"{refused.Count} of {models.Length} refused: {string.Join(", ", refused.Take(20))}");
    }

    [Fact]
    public void Backend_test_tensors_load()
    {
        if (!Directory.Exists(Corpus)) return;
        var files = Directory.GetFiles(Corpus, "*.pb", SearchOption.AllDirectories);
        int loaded = 0;
        foreach (var path in files)
        {
            try
            {
                var t = OnnxReader.LoadTensor(path);
                Assert.Equal(t.Length, t.Shape.Aggregate(1, (a, b) => a * b));
                loaded++;
            }
            catch (ModelException)
            {
                // Sequences, maps and optionals are other messages than TensorProto; unstorable element types are refused.
            }
        }
        Assert.True(loaded * 10 > files.Length * 9, $"only {loaded} of {files.Length} tensors loaded");
    }
}
