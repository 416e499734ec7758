using System.Diagnostics;
using System.Globalization;
using Prunus.Data;
using Prunus.Graph.Onnx;
using Prunus.Pruning;
using Prunus.Pruning.Criteria;
using Prunus.Pruning.Obs;
using Prunus.Training;

namespace Prunus.Benchmarks;

/// <summary>
/// Test accuracy of one-shot pruning without fine-tuning: global magnitude against OBS reconstruction (SparseGPT),
/// calibrated on training images. Usage: obs-accuracy MODEL.onnx [--sparsity 0.8,0.9] [--images 1024] [--damp 0.01]
/// [--scope global|layer|row] [--block 128] [--granularity unstructured|N:M] [--dense-hessians] [--wanda] [--taylor] [--data DIR].
/// Magnitude uses global scope for unstructured pruning; Wanda row scope; Taylor global scope.
/// </summary>
public static class ObsAccuracy
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            Console.Error.WriteLine("usage: obs-accuracy MODEL.onnx [--sparsity 0.8,0.9] [--images 1024] [--damp 0.01] [--scope global|layer|row] [--block 128] [--granularity unstructured|N:M] [--dense-hessians] [--wanda] [--taylor] [--data DIR]");
            return 2;
        }
        var model = args[0];
        double[] sparsities = [0.8, 0.9];
        int images = 1024, block = 128;
        double damp = 0.01;
        var scope = PruningScope.Global;
        bool sequential = true, wanda = false, taylor = false;
        var granularity = Granularity.Unstructured;
        string? dataDir = null;
        for (int i = 1; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--sparsity": sparsities = Next().Split(',').Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray(); break;
                case "--images": images = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--damp": damp = double.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--block": block = int.Parse(Next(), CultureInfo.InvariantCulture); break;
                case "--scope": scope = Enum.Parse<PruningScope>(Next(), ignoreCase: true); break;
                case "--dense-hessians": sequential = false; break;
                case "--wanda": wanda = true; break;
                case "--taylor": taylor = true; break;
                case "--granularity": granularity = Granularity.Parse(Next()); break;
                case "--data": dataDir = Next(); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }

        var graph = OnnxReader.Load(model);
        var (train, test) = FashionMnist.Load(dataDir);
        var evaluator = new Evaluator(graph);
        var layers = PrunableLayers.Find(graph);
        Console.WriteLine($"{Path.GetFileName(model)}: {string.Join(", ", layers.Select(l => $"{l.Name} {l.Outputs}x{l.Reduction}"))}");
        Console.WriteLine($"dense test accuracy {evaluator.Evaluate(test).Accuracy:F4}");
        Console.WriteLine($"calibration: {images} training images, damp {damp}, block {block}, scope {scope}, {granularity}, {(sequential ? "sequential" : "dense")} Hessians");
        if (granularity is NOfM) sparsities = [0]; // the pattern fixes the sparsity
        var calibration = new CalibrationOptions { Images = images };
        foreach (var s in sparsities)
        {
            var target = new PruningTarget { Sparsity = s, Scope = PruningScope.Global, Granularity = granularity };
            var scores = layers.ToDictionary(l => l.WeightName, l => Magnitude.L1.Score(l, null));
            var magnitude = MaskSelection.Select(graph, layers, scores, target);
            magnitude.Apply();
            double magAcc = evaluator.Evaluate(test).Accuracy;
            var perLayer = string.Join(" ", layers.Select(l => $"{l.Sparsity():F3}"));
            magnitude.Restore();

            var watch = Stopwatch.StartNew();
            var obs = SparseGpt.Prune(graph, layers, train, target with { Scope = scope },
                new SparseGptOptions { Calibration = calibration, Dampening = damp, BlockSize = block, Sequential = sequential });
            double seconds = watch.Elapsed.TotalSeconds;
            var eval = evaluator.Evaluate(test);
            var obsLayers = string.Join(" ", layers.Select(l => $"{l.Sparsity():F3}"));
            obs.Restore();
            var label = granularity is NOfM ? granularity.ToString() : $"sparsity {s:F2}";
            Console.WriteLine($"{label}: magnitude {magAcc:F4} [{perLayer}]   obs {eval.Accuracy:F4} loss {eval.Loss:F4} [{obsLayers}] in {seconds:F1} s");

            if (wanda)
            {
                var stats = Calibration.Collect(graph, layers, train, CalibrationNeeds.InputNorms, calibration);
                var ws = layers.ToDictionary(l => l.WeightName, l => Wanda.Instance.Score(l, stats[l.WeightName]));
                var wm = MaskSelection.Select(graph, layers, ws, target with { Scope = PruningScope.Row });
                wm.Apply();
                Console.WriteLine($"{label}: wanda (row scope) {evaluator.Evaluate(test).Accuracy:F4}");
                wm.Restore();
            }
            if (taylor)
            {
                var stats = Calibration.Collect(graph, layers, train, CalibrationNeeds.Gradients, calibration);
                var ts = layers.ToDictionary(l => l.WeightName, l => Taylor.Instance.Score(l, stats[l.WeightName]));
                var tm = MaskSelection.Select(graph, layers, ts, target);
                tm.Apply();
                Console.WriteLine($"{label}: taylor ({target.Scope} scope) {evaluator.Evaluate(test).Accuracy:F4} [{string.Join(" ", layers.Select(l => $"{l.Sparsity():F3}"))}]");
                tm.Restore();
            }
        }
        return 0;
    }
}
