using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Passes;

/// <summary>
/// Both pipelines over every model of the ONNX backend test suite (Debian's libonnx-testdata), where installed: no
/// pass may throw on any model that loads, and every model Prunus runs must give the same outputs after either
/// pipeline on its own test inputs.
/// </summary>
public class PassCorpusTests
{
    private const string Corpus = "/usr/share/libonnx-testdata/data";

    [Fact]
    public void Pipelines_keep_the_outputs_of_every_runnable_backend_test_model()
    {
        if (!Directory.Exists(Corpus)) return;
        int compared = 0, rewritten = 0;
        var byPass = new Dictionary<string, int>();
        var failures = new List<string>();
        foreach (var path in Directory.GetFiles(Corpus, "model.onnx", SearchOption.AllDirectories).Order())
        {
            ModelGraph g;
            try { g = OnnxReader.Load(path); }
            catch (ModelException) { continue; }
            var inputs = TestInputs(g, Path.Combine(Path.GetDirectoryName(path)!, "test_data_set_0"));
            Dictionary<string, Tensor>? expected = null;
            if (inputs is not null && GraphValidation.UnsupportedOps(g).Count == 0)
            {
                try { expected = Run(g, inputs); }
                catch (PrunusException) { }   // training-mode nodes, unsupported attributes: not a pass matter
            }
            foreach (var pipeline in new[] { PassPipeline.ForExport, PassPipeline.ForInference })
            {
                var optimized = g.Clone();
                try
                {
                    var report = pipeline.Run(optimized);
                    if (report.Changed) rewritten++;
                    foreach (var (pass, n) in report.Rewrites) byPass[pass] = byPass.GetValueOrDefault(pass) + n;
                    if (expected is null) continue;
                    var actual = Run(optimized, inputs!);
                    foreach (var (name, e) in expected)
                    {
                        var a = actual[name];
                        Assert.Equal(e.Shape, a.Shape);
                        if (e.Type == DataType.Float32) TensorAssert.Close(e.Floats, a.Floats, 1e-5, 1e-6, name);
                        else Assert.Equal(e.ToInt64Array(), a.ToInt64Array());
                    }
                    compared++;
                }
                catch (Exception ex) when (ex is not OutOfMemoryException)
                {
                    failures.Add($"{Path.GetFileName(Path.GetDirectoryName(path))}: {ex.GetType().Name}: {ex.Message.Split('\n')[0]}");
                }
            }
        }
        Assert.True(failures.Count == 0, string.Join("\n", failures.Take(30)));
        Assert.True(compared > 200 && rewritten > 50, $"{compared} runs compared, {rewritten} rewritten: " + string.Join(", ", byPass));
        // Not dead-node-removal: the corpus's only dead nodes are unused constants, which constant folding removes
        // first once every op of their graphs is registered (DeadCodeTests cover that pass).
        foreach (var pass in new[] { "constant-folding", "identity-removal", "no-op-removal" })
            Assert.True(byPass[pass] > 0, $"{pass} never applied: " + string.Join(", ", byPass));
    }

    private static Dictionary<string, Tensor> Run(ModelGraph g, Dictionary<string, Tensor> inputs) =>
        new InferenceSession(g, new PlanOptions { Pool = TestPools.One }).Run(inputs);

    /// <summary>The test set's input_N.pb tensors by data input, or null if they do not load or match.</summary>
    private static Dictionary<string, Tensor>? TestInputs(ModelGraph g, string dir)
    {
        var data = g.DataInputs.ToList();
        if (!Directory.Exists(dir)) return null;
        var result = new Dictionary<string, Tensor>();
        for (int i = 0; i < data.Count; i++)
        {
            var file = Path.Combine(dir, $"input_{i}.pb");
            if (!File.Exists(file)) return null;
            try { result[data[i].Name] = OnnxReader.LoadTensor(file); }
            catch (ModelException) { return null; }
        }
        return result;
    }
}
