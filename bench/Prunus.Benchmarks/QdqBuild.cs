using System.Globalization;
using Prunus.Data;
using Prunus.Graph.Onnx;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Benchmarks;

/// <summary>
/// Writes the QDQ form of a trained Fashion-MNIST model for measuring integer execution (not the product's quantizer):
/// `qdq-build IN.onnx OUT.onnx [--sparsity S] [--images N] [--per-tensor] [--int8-activations] [--pruned-float FILE]`
/// (the last also writes the pruned float model). Weights int8 per
/// channel (magnitude-pruned to S first, when given), activations uint8 from the min/max of the first N training
/// images (default 256), biases int32; see tests/Prunus.Tests/Support/QdqModels.cs.
/// </summary>
public static class QdqBuild
{
    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: qdq-build IN.onnx OUT.onnx [--sparsity S] [--images N] [--per-tensor] [--int8-activations]");
            return 2;
        }
        double sparsity = 0;
        int images = 256;
        bool perTensor = false, int8 = false;
        string? prunedFloat = null;
        for (int i = 2; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--sparsity": sparsity = double.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--images": images = int.Parse(args[++i], CultureInfo.InvariantCulture); break;
                case "--per-tensor": perTensor = true; break;
                case "--int8-activations": int8 = true; break;
                case "--pruned-float": prunedFloat = args[++i]; break;
                default: Console.Error.WriteLine($"unknown option {args[i]}"); return 2;
            }
        }
        var model = OnnxReader.Load(args[0]);
        if (prunedFloat is not null) OnnxWriter.Save(QdqModels.Pruned(model, sparsity), prunedFloat);
        var (train, _) = FashionMnist.Load();
        var batches = new List<Tensor>();
        for (int start = 0; start < Math.Min(images, train.Count); start += 64)
        {
            int n = Math.Min(64, Math.Min(images, train.Count) - start);
            var t = Tensor.Zeros(n, 1, 28, 28);
            var src = train.Images.Slice(start * train.ImageSize, n * train.ImageSize);
            var dst = t.Floats;
            for (int i = 0; i < dst.Length; i++) dst[i] = src[i] / 255f;
            batches.Add(t);
        }
        var qdq = QdqModels.Quantize(model, batches, new QdqModels.Options(PerChannel: !perTensor,
            Activations: int8 ? DataType.Int8 : DataType.UInt8, Sparsity: sparsity));
        OnnxWriter.Save(qdq, args[1]);
        Console.WriteLine($"wrote {args[1]}: {qdq.Nodes.Count} nodes, sparsity {sparsity:F2}, {batches.Count} calibration batch(es)");
        return 0;
    }
}
