using System.Diagnostics;
using System.Globalization;
using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Threading;

namespace Prunus.Benchmarks;

/// <summary>
/// Quick timing of elementwise and activation ops through compiled one-node plans (`-- ew-timing [elements]`):
/// forward and backward microseconds (median and minimum of repeated runs after warm-up; the minimum resists
/// interference from other processes) and the bytes moved per second, at 1 and 2 threads, for the same-shape,
/// per-channel and trailing broadcast paths and the common activations.
/// </summary>
public static class ElementwiseTiming
{
    private sealed record Case(string Name, string Op, int[][] Shapes, (string Name, AttributeValue Value)[] Attributes, Tensor[] Constants);

    public static int Run(string[] args)
    {
        int elements = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1 << 21;
        int c = 32, hw = Math.Max(1, elements / (64 * c));
        int[] nchw = [64, c, hw], channel = [c, 1], nf = [elements / 256, 256], f = [256];
        var cases = new[]
        {
            new Case("Add same shape", "Add", [nchw, nchw], [], []),
            new Case("Add per-channel [C,1]", "Add", [nchw, channel], [], []),
            new Case("Mul per-channel [C,1]", "Mul", [nchw, channel], [], []),
            new Case("Mul trailing [F]", "Mul", [nf, f], [], []),
            new Case("Relu", "Relu", [nchw], [], []),
            new Case("Clip(0,6)", "Clip", [nchw], [], [Tensor.Scalar(0f), Tensor.Scalar(6f)]),
            new Case("LeakyRelu", "LeakyRelu", [nchw], [], []),
            new Case("Sigmoid", "Sigmoid", [nchw], [], []),
            new Case("Tanh", "Tanh", [nchw], [], []),
            new Case("Gelu", "Gelu", [nchw], [], []),
            new Case("Gelu tanh", "Gelu", [nchw], [("approximate", AttributeValue.Of("tanh"))], []),
            new Case("Mish", "Mish", [nchw], [], []),
            new Case("HardSwish", "HardSwish", [nchw], [], []),
        };
        Console.WriteLine($"elementwise timing, {64 * c * hw} elements per activation, {Environment.ProcessorCount} cores; us median/min, GB/s at the min");
        Console.WriteLine($"{"op",-24} {"thr",3} {"forward us",18} {"GB/s",6} {"backward us",18} {"GB/s",6}");
        foreach (int threads in new[] { 1, 2 })
        {
            var pool = new WorkerPool(threads);
            foreach (var k in cases) Measure(k, pool);
            if (threads > 1) pool.Dispose();
        }
        return 0;
    }

    private static void Measure(Case k, WorkerPool pool)
    {
        var graph = new ModelGraph { Name = k.Name };
        graph.Metadata.Opsets[""] = 20;
        var inputs = new List<string>();
        var shapes = new Dictionary<string, int[]>();
        for (int i = 0; i < k.Shapes.Length; i++)
        {
            inputs.Add($"x{i}");
            shapes[$"x{i}"] = k.Shapes[i];
            graph.Inputs.Add(new ValueInfo($"x{i}", DataType.Float32, k.Shapes[i].Select(d => (Dim)d).ToArray()));
        }
        for (int i = 0; i < k.Constants.Length; i++)
        {
            inputs.Add($"c{i}");
            graph.Initializers[$"c{i}"] = k.Constants[i];
        }
        var node = new Node(k.Op, "n", inputs, ["y"]);
        foreach (var (name, value) in k.Attributes) node.Attributes[name] = value;
        graph.Nodes.Add(node);
        graph.Outputs.Add(new ValueInfo("y", DataType.Float32, null));
        var plan = Planner.Compile(graph, shapes, new PlanOptions { InputGradients = shapes.Keys.ToHashSet(), Pool = pool });
        var rng = new Random(1);
        foreach (var name in shapes.Keys)
        {
            var s = plan.Input(name).Floats;
            for (int i = 0; i < s.Length; i++) s[i] = (float)(rng.NextDouble() * 4 - 2);
        }
        plan.OutputGradient(0).Floats.Fill(1);
        long inBytes = shapes.Values.Sum(s => (long)ShapeMath.Size(s)) * 4, outBytes = (long)plan.Output(0).Length * 4;
        var (fMed, fMin) = Time(plan.Run);
        var (bMed, bMin) = Time(plan.Backward);
        // Forward reads the inputs and writes the output; backward reads inputs, dy and the input gradients and writes those.
        double fGb = (inBytes + outBytes) / fMin / 1e3, bGb = (2 * inBytes + outBytes + inBytes) / bMin / 1e3;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{k.Name,-24} {pool.Threads,3} {fMed,9:F1}/{fMin,-8:F1} {fGb,6:F1} {bMed,9:F1}/{bMin,-8:F1} {bGb,6:F1}"));
    }

    private static (double Median, double Min) Time(Action run)
    {
        // Past 30 calls and a moment for the background compiler, the kernels run their fully optimized (tier-1) code.
        var warm = Stopwatch.StartNew();
        for (int i = 0; i < 40 || warm.ElapsedMilliseconds < 300; i++) run();
        var us = new double[15];
        for (int r = 0; r < us.Length; r++)
        {
            var sw = Stopwatch.StartNew();
            run();
            us[r] = sw.Elapsed.TotalMicroseconds;
        }
        Array.Sort(us);
        return (us[us.Length / 2], us[0]);
    }
}
