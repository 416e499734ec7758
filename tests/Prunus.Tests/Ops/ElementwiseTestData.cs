using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Prunus.Threading;

namespace Prunus.Tests.Ops;

/// <summary>Inputs and gradient runs shared by the elementwise and activation op tests.</summary>
internal static class ElementwiseTestData
{
    /// <summary>A float tensor from values.</summary>
    public static Tensor T(float[] values, params int[] shape) => Tensor.From(values, shape);

    /// <summary>
    /// Values that keep apart from each other across inputs: input <paramref name="which"/> of a Max/Min holds shuffled
    /// multiples of 0.1 shifted by 0.03 * which, so no two inputs come within a finite-difference step of a tie.
    /// </summary>
    public static Tensor Separated(int which, int seed, params int[] shape)
    {
        var rng = new Random(seed);
        var t = Tensor.Zeros(shape);
        var s = t.Floats;
        for (int i = 0; i < s.Length; i++) s[i] = rng.Next(-20, 21) * 0.1f + 0.03f * which;
        return t;
    }

    /// <summary>Analytic gradients of sum(out0 * seed) for every varying float input, from one forward and backward pass.</summary>
    public static Dictionary<string, Tensor> Gradients(OpCase c, Tensor seed, WorkerPool pool)
    {
        var wrt = c.Inputs.Where(i => !i.Constant && i.Name.Length > 0 && i.Value.Type == DataType.Float32).Select(i => i.Name).ToHashSet();
        var plan = c.Compile(new PlanOptions { InputGradients = wrt, Pool = pool });
        plan.Run();
        plan.OutputGradient(0).CopyFrom(seed);
        plan.Backward();
        return wrt.ToDictionary(n => n, n => plan.Gradient(n).Clone());
    }

    /// <summary>A tensor of ones.</summary>
    public static Tensor Ones(params int[] shape)
    {
        var t = Tensor.Zeros(shape);
        t.Floats.Fill(1);
        return t;
    }
}
