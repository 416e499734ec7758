using System.Reflection;
using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Ops;
using Prunus.Tensors;

namespace Prunus.Tests.Training;

/// <summary>Small models and datasets that train in milliseconds, for the trainer tests.</summary>
internal static class TinyModels
{
    /// <summary>
    /// A separable problem: <paramref name="classes"/> prototype patterns of <paramref name="features"/> pixels
    /// (1 x 1 x F images), each image its class's prototype plus noise.
    /// </summary>
    public static ImageDataset Separable(int count, int features = 8, int classes = 3, int seed = 1)
    {
        var rng = new Random(seed);
        var prototypes = new byte[classes, features];
        for (int c = 0; c < classes; c++)
            for (int f = 0; f < features; f++) prototypes[c, f] = (byte)(rng.Next(2) == 0 ? 40 : 215);
        var images = new byte[count * features];
        var labels = new int[count];
        for (int i = 0; i < count; i++)
        {
            labels[i] = rng.Next(classes);
            for (int f = 0; f < features; f++)
                images[i * features + f] = (byte)Math.Clamp(prototypes[labels[i], f] + rng.Next(-40, 41), 0, 255);
        }
        return new ImageDataset(images, labels, 1, 1, features, classes);
    }

    /// <summary>x [N,1,1,F] (or [N,F]) -> linear F->H -> Relu (-> Dropout) -> linear H->K: logits [N,K], weights drawn from <paramref name="seed"/>.</summary>
    public static ModelGraph Mlp(int features = 8, int hidden = 16, int classes = 3, int seed = 2, bool flatInput = false, float dropout = 0)
    {
        TestLinearOp.EnsureRegistered();
        var rng = new Random(seed);
        Tensor Uniform(float bound, params int[] shape)
        {
            var t = Tensor.Zeros(shape);
            for (int i = 0; i < t.Length; i++) t.Floats[i] = (float)(rng.NextDouble() * 2 - 1) * bound;
            return t;
        }
        var g = new ModelGraph { Name = "tiny" };
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, flatInput ? [Dim.Sym("N"), features] : [Dim.Sym("N"), 1, 1, features]));
        g.Initializers["w1"] = Uniform(1 / MathF.Sqrt(features), features, hidden);
        g.Initializers["b1"] = Uniform(1 / MathF.Sqrt(features), hidden);
        g.Initializers["w2"] = Uniform(1 / MathF.Sqrt(hidden), hidden, classes);
        g.Initializers["b2"] = Uniform(1 / MathF.Sqrt(hidden), classes);
        g.Nodes.Add(new Node(TestLinearOp.Type, "fc1", ["x", "w1", "b1"], ["h"]));
        g.Nodes.Add(new Node("Relu", "relu", ["h"], ["a"]));
        var last = "a";
        if (dropout > 0)
        {
            g.Initializers["ratio"] = Tensor.Scalar(dropout);
            g.Nodes.Add(new Node("Dropout", "drop", ["a", "ratio"], ["d"]));
            last = "d";
        }
        g.Nodes.Add(new Node(TestLinearOp.Type, "fc2", [last, "w2", "b2"], ["logits"]));
        g.Outputs.Add(new ValueInfo("logits", DataType.Float32, [Dim.Sym("N"), classes]));
        return g;
    }
}

/// <summary>
/// A stand-in dense layer, y[n,k] = sum_f x[n,f] w[f,k] + b[k] (x read as [N, F]), used by the trainer tests until the
/// graph has MatMul and Add. It is registered into the op table by reflection because the table is closed to tests.
/// </summary>
internal sealed class TestLinearOp : Operator
{
    public const string Type = "PrunusTestLinear";
    private static readonly object Gate = new();
    private static bool _registered;

    public static void EnsureRegistered()
    {
        lock (Gate)
        {
            if (_registered) return;
            var field = typeof(OpRegistry).GetField("Ops", BindingFlags.NonPublic | BindingFlags.Static)!;
            var table = (Dictionary<string, Operator>)field.GetValue(null)!;
            table[Type] = new TestLinearOp();
            _registered = true;
        }
    }

    public override string OpType => Type;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Shape(0);
        var w = ctx.Shape(1);
        if (x.Length < 1 || w.Length != 2 || ShapeMath.Size(x) / Math.Max(x[0], 1) != w[0]) throw ctx.Error($"bad shapes {ShapeMath.Format(x)} x {ShapeMath.Format(w)}");
        return [new TensorInfo(DataType.Float32, [x[0], w[1]])];
    }

    public override Kernel CreateKernel(NodeContext ctx) => new K();

    private sealed class K : Kernel
    {
        public override void Forward(RunContext ctx)
        {
            var x = Inputs[0].Floats; var w = Inputs[1].Floats; var b = Inputs[2].Floats; var y = Outputs[0].Floats;
            int n = Outputs[0].Shape[0], k = Outputs[0].Shape[1], f = Inputs[1].Shape[0];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < k; j++)
                {
                    float s = b[j];
                    for (int p = 0; p < f; p++) s += x[i * f + p] * w[p * k + j];
                    y[i * k + j] = s;
                }
        }

        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is not { } dyT) return;
            var x = Inputs[0].Floats; var w = Inputs[1].Floats; var dy = dyT.Floats;
            int n = Outputs[0].Shape[0], k = Outputs[0].Shape[1], f = Inputs[1].Shape[0];
            if (InputGrads[0] is { } dx)
                for (int i = 0; i < n; i++)
                    for (int p = 0; p < f; p++)
                    {
                        float s = 0;
                        for (int j = 0; j < k; j++) s += dy[i * k + j] * w[p * k + j];
                        dx.Floats[i * f + p] += s;
                    }
            if (InputGrads[1] is { } dw)
                for (int p = 0; p < f; p++)
                    for (int j = 0; j < k; j++)
                    {
                        float s = 0;
                        for (int i = 0; i < n; i++) s += x[i * f + p] * dy[i * k + j];
                        dw.Floats[p * k + j] += s;
                    }
            if (InputGrads[2] is { } db)
                for (int j = 0; j < k; j++)
                {
                    float s = 0;
                    for (int i = 0; i < n; i++) s += dy[i * k + j];
                    db.Floats[j] += s;
                }
        }
    }
}
