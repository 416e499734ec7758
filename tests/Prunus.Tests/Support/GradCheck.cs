using Prunus.Graph.Planning;
using Prunus.Tensors;

namespace Prunus.Tests.Support;

/// <summary>
/// Checks an op's gradient rule against central finite differences of L = sum(out0 * seed), for every varying float
/// input, at up to <c>maxPoints</c> elements per input. Inputs should keep away from kinks (e.g. |x| &gt; 0.05 for Relu).
/// </summary>
public static class GradCheck
{
    public static void Check(OpCase c, bool training = false, float eps = 1e-2f, double rtol = 2e-2, double atol = 2e-3,
        int maxPoints = 60, int seed = 1, IReadOnlySet<string>? only = null)
    {
        var wrt = c.Inputs.Where(i => !i.Constant && i.Name.Length > 0 && i.Value.Type == DataType.Float32 && (only is null || only.Contains(i.Name)))
            .Select(i => i.Name).ToHashSet();
        Assert.NotEmpty(wrt);
        var plan = c.Compile(new PlanOptions { Training = training, InputGradients = wrt, Pool = TestPools.One, Seed = 7 });
        var rng = new Random(seed);
        var outShape = plan.Output(0).Shape;
        var seedGrad = Tensor.Zeros(outShape);
        for (int i = 0; i < seedGrad.Length; i++) seedGrad.Floats[i] = (float)(rng.NextDouble() * 2 - 1);

        double Loss()
        {
            plan.Context.Reseed(7);
            plan.Run();
            var o = plan.Output(0).Floats;
            double s = 0;
            for (int i = 0; i < o.Length; i++) s += (double)o[i] * seedGrad.Floats[i];
            return s;
        }

        Loss();
        plan.OutputGradient(0).CopyFrom(seedGrad);
        plan.Context.Reseed(7);
        plan.Run();
        plan.Backward();
        var analytic = wrt.ToDictionary(n => n, n => plan.Gradient(n).Clone());

        foreach (var name in wrt)
        {
            var x = plan.Input(name).Floats;
            var a = analytic[name].Floats;
            var idx = Enumerable.Range(0, x.Length).OrderBy(_ => rng.Next()).Take(maxPoints);
            double scale = 0;
            for (int i = 0; i < a.Length; i++) scale = Math.Max(scale, Math.Abs(a[i]));
            foreach (int i in idx)
            {
                float orig = x[i];
                x[i] = orig + eps; double up = Loss();
                x[i] = orig - eps; double down = Loss();
                x[i] = orig;
                double numeric = (up - down) / (2 * eps);
                double err = Math.Abs(numeric - a[i]);
                Assert.True(err <= atol * Math.Max(1, scale) + rtol * Math.Abs(numeric),
                    $"{c.OpType} d/d{name}[{i}]: analytic {a[i]:G6}, numeric {numeric:G6} (error {err:G3})");
            }
        }
    }
}
