using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Conformance;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Normalization;

[Trait("Category", "Kernel")]
public class InstanceNormalizationTests
{
    /// <summary>y = scale·(x − mean)/√(var + ε) + B per sample and channel, in double.</summary>
    private static float[] Reference(Tensor x, Tensor scale, Tensor bias, double epsilon)
    {
        int n = x.Shape[0], c = x.Shape[1], plane = x.Length / (n * c);
        var y = new float[x.Length];
        for (int s = 0; s < n * c; s++)
        {
            var row = x.Floats.Slice(s * plane, plane).ToArray();
            double mean = row.Average(v => (double)v), variance = row.Average(v => (v - mean) * (v - mean));
            double inv = 1 / Math.Sqrt(variance + epsilon);
            for (int i = 0; i < plane; i++) y[s * plane + i] = (float)(scale.Floats[s % c] * (row[i] - mean) * inv + bias.Floats[s % c]);
        }
        return y;
    }

    [Fact]
    public void Normalizes_each_sample_and_channel_by_hand()
    {
        // Channel 0 [-1, 0, 1] and channel 1 [2, 3, 4]: means 0 and 3, variance 2/3 each.
        var x = Tensor.From(new[] { -1f, 0f, 1f, 2f, 3f, 4f }, 1, 2, 1, 3);
        var y = new OpCase("InstanceNormalization").Input(x).Const(Tensor.From(new[] { 1f, 1.5f }, 2)).Const(Tensor.From(new[] { 0f, 1f }, 2)).Run1();
        float k = (float)(1 / Math.Sqrt(2.0 / 3 + 1e-5));
        TensorAssert.Close([-k, 0, k, 1 - 1.5f * k, 1, 1 + 1.5f * k], y.Floats, 1e-5, 1e-6);
    }

    [Fact]
    public void Matches_the_reference_on_odd_shapes_and_epsilon()
    {
        foreach (var shape in new[] { new[] { 3, 5, 7, 3 }, [2, 3, 17], [1, 4, 1, 1], [2, 2, 3, 2, 5] })
        {
            var x = TensorAssert.Random(1, -3, 5, shape);
            var scale = TensorAssert.Random(2, -2, 2, shape[1]);
            var bias = TensorAssert.Random(3, -1, 1, shape[1]);
            var y = new OpCase("InstanceNormalization").Input(x).Const(scale).Const(bias).Attr("epsilon", 1e-2f).Run1();
            TensorAssert.Close(Reference(x, scale, bias, 1e-2f), y.Floats, 1e-4, 1e-5);
        }
    }

    [Fact]
    public void Gradient_for_x_scale_and_bias() =>
        GradCheck.Check(new OpCase("InstanceNormalization").Input(TensorAssert.Random(4, -2, 2, 2, 3, 5)).Input(TensorAssert.Random(5, 0.5f, 2, 3))
            .Input(TensorAssert.Random(6, -1, 1, 3)), eps: 1e-3f);

    [Fact]
    public void Gradient_over_two_spatial_axes() =>
        GradCheck.Check(new OpCase("InstanceNormalization").Input(TensorAssert.Random(7, -2, 2, 1, 2, 3, 4)).Input(TensorAssert.Random(8, 0.5f, 2, 2))
            .Input(TensorAssert.Random(9, -1, 1, 2)).Attr("epsilon", 1e-3f), eps: 1e-3f);

    [Fact]
    public void Large_input_runs_channels_in_parallel_like_one_thread()
    {
        var c = new OpCase("InstanceNormalization").Input(TensorAssert.Random(10, -3, 3, 2, 33, 31, 29))
            .Input(TensorAssert.Random(11, 0.5f, 2, 33)).Input(TensorAssert.Random(12, -1, 1, 33));
        var seed = TensorAssert.Random(13, -1, 1, 2, 33, 31, 29);
        var names = new HashSet<string> { "in0", "in1", "in2" };
        var plans = new[] { TestPools.One, TestPools.Two }.Select(p => c.Compile(new PlanOptions { Pool = p, InputGradients = names })).ToArray();
        foreach (var p in plans)
        {
            p.Run();
            p.OutputGradient().CopyFrom(seed);
            p.Backward();
        }
        Assert.Equal(plans[0].Output(0).Floats.ToArray(), plans[1].Output(0).Floats.ToArray());
        foreach (var name in names) Assert.Equal(plans[0].Gradient(name).Floats.ToArray(), plans[1].Gradient(name).Floats.ToArray());
        TensorAssert.Close(Reference(c.Inputs[0].Value, c.Inputs[1].Value, c.Inputs[2].Value, 1e-5), plans[1].Output(0).Floats, 1e-4, 1e-5);
    }

    [Fact]
    public void Rejects_a_scale_that_is_not_one_per_channel()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("InstanceNormalization").Input(TensorAssert.Random(14, -1, 1, 1, 3, 4))
            .Const(Tensor.Zeros(4)).Const(Tensor.Zeros(3)).Run1());
        Assert.Contains("scale must be [3]", e.Message);
    }

    [BackendTheory]
    [InlineData("test_instancenorm_epsilon")]
    [InlineData("test_instancenorm_example")]
    public void Onnx_backend_case_passes(string name)
    {
        var result = ConformanceRunner.Run(BackendTestData.Case("node", name));
        Assert.True(result.Outcome == CaseOutcome.Passed, $"{name}: {result.Outcome} {result.Detail}");
    }
}
