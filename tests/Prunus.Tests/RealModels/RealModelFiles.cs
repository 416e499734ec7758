using System.Collections.Concurrent;
using Prunus.Graph;
using Prunus.Graph.Onnx;
using Prunus.Graph.Passes;
using Prunus.Graph.Planning;
using Prunus.IO;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.RealModels;

/// <summary>
/// The models PyTorch exported (RealModels/data, made by make_models.py): their files, their seeded inputs, PyTorch's
/// outputs for them, ONNX Runtime's outputs (computed once per run and shared by the tests) and Prunus's.
/// </summary>
internal static class RealModelFiles
{
    /// <summary>Every model, by file name without extension; the suffix is the opset it was exported at.</summary>
    public static readonly string[] Names = ["mbv3_op13", "mbv3_op17", "mbv3_raw_op11", "fpn_op11", "fpn_dyn_op13", "vit_op17", "vit_op13", "shapes_op13", "shapes_op11"];

    /// <summary>The batch sizes every model is run at (its batch axis is dynamic).</summary>
    public static readonly int[] Batches = [1, 3];

    private static readonly ConcurrentDictionary<(string, int), Dictionary<string, Tensor>> OrtOutputs = new();

    /// <summary>The folder of the files.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "RealModels", "data");

    /// <summary>Path of the model file.</summary>
    public static string ModelPath(string model) => Path.Combine(Folder, model + ".onnx");

    /// <summary>The model as Prunus reads it.</summary>
    public static ModelGraph Load(string model) => OnnxReader.Load(ModelPath(model));

    /// <summary>The seeded input of <paramref name="batch"/> samples, by the models' one input name.</summary>
    public static Dictionary<string, Tensor> Inputs(string model, int batch) =>
        new() { ["input"] = Npy.Read(Path.Combine(Folder, $"{model}.b{batch}.npy")) };

    /// <summary>PyTorch's outputs for <see cref="Inputs"/>, by output name.</summary>
    public static Dictionary<string, Tensor> TorchOutputs(string model, int batch, IEnumerable<string> outputNames) =>
        outputNames.ToDictionary(o => o, o => Npy.Read(Path.Combine(Folder, $"{model}.b{batch}.{o}.npy")), StringComparer.Ordinal);

    /// <summary>ONNX Runtime's outputs of the original file for <see cref="Inputs"/> (run once, then remembered).</summary>
    public static Dictionary<string, Tensor> Ort(string model, int batch) =>
        OrtOutputs.GetOrAdd((model, batch), key => OrtPeer.Get().Run(ModelPath(key.Item1), Inputs(key.Item1, key.Item2)));

    /// <summary>Prunus's outputs of <paramref name="graph"/>, optionally optimized first by <paramref name="passes"/>.</summary>
    public static Dictionary<string, Tensor> Prunus(ModelGraph graph, IReadOnlyDictionary<string, Tensor> inputs, PassPipeline? passes = null) =>
        new InferenceSession(graph, new PlanOptions { Pool = TestPools.Two }, passes).Run(inputs);

    /// <summary>
    /// Asserts that the samples of a batch give outputs that differ by at least 1% of the output's scale: a model whose
    /// outputs hardly depend on its input would hide disagreements.
    /// </summary>
    public static void AssertInputMatters(IReadOnlyDictionary<string, Tensor> outputs, string what)
    {
        foreach (var (name, y) in outputs)
        {
            int n = y.Shape[0];
            Assert.True(n > 1, $"{what} '{name}': needs a batch of more than one sample");
            int size = y.Length / n;
            var v = y.Floats;
            double scale = 1, spread = 0;
            for (int i = 0; i < v.Length; i++) scale = Math.Max(scale, Math.Abs(v[i]));
            for (int i = size; i < v.Length; i++) spread = Math.Max(spread, Math.Abs(v[i] - v[i % size]));
            Assert.True(spread >= 1e-2 * scale, $"{what} '{name}': samples differ by at most {spread:G3} at scale {scale:G3}; the comparison would be blind");
        }
    }

    /// <summary>
    /// Asserts that <paramref name="actual"/> has the outputs of <paramref name="expected"/>, of the same shapes, each
    /// within max |difference| &lt;= 1e-4 * max(1, max |expected|). Returns the largest ratio of difference to scale.
    /// </summary>
    public static double AssertClose(IReadOnlyDictionary<string, Tensor> expected, IReadOnlyDictionary<string, Tensor> actual, string what)
    {
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        double largest = 0;
        foreach (var (name, e) in expected)
        {
            var a = actual[name];
            Assert.Equal(DataType.Float32, a.Type);
            Assert.True(e.Shape.SequenceEqual(a.Shape), $"{what} '{name}': expected {e}, got {a}");
            var ev = e.Floats;
            var av = a.Floats;
            double scale = 1, worst = 0;
            int at = 0;
            for (int i = 0; i < ev.Length; i++) scale = Math.Max(scale, Math.Abs(ev[i]));
            for (int i = 0; i < ev.Length; i++)
            {
                double d = Math.Abs((double)ev[i] - av[i]);
                if (!(d <= worst)) (worst, at) = (d, i); // NaN counts as the worst
            }
            largest = Math.Max(largest, worst / scale);
            if (!(worst <= 1e-4 * scale))
                Assert.Fail($"{what} '{name}': max |difference| = {worst:G3} at {at} (expected {ev[at]:G9}, got {av[at]:G9}), allowed {1e-4 * scale:G3}");
        }
        return largest;
    }
}
