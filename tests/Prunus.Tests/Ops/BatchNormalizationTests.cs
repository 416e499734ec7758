using Prunus.Graph.Planning;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

[Trait("Category", "Kernel")]
public class BatchNormalizationTests
{
    private const float Eps = 1e-3f;

    private static Tensor Positive(int seed, int c) => TensorAssert.Random(seed, 0.5f, 2f, c);

    private static float[] InferenceExpected(Tensor x, Tensor scale, Tensor bias, Tensor mean, Tensor variance)
    {
        int c = x.Shape[1], plane = x.Length / (x.Shape[0] * c);
        var y = new float[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            int ch = i / plane % c;
            y[i] = (float)((x.Floats[i] - mean.Floats[ch]) / Math.Sqrt(variance.Floats[ch] + Eps) * scale.Floats[ch] + bias.Floats[ch]);
        }
        return y;
    }

    [Fact]
    public void Inference_uses_running_statistics_folded_or_not()
    {
        var x = TensorAssert.Random(1, -2, 2, 2, 3, 4, 5);
        var (scale, bias, mean, variance) = (TensorAssert.Random(2, -1, 1, 3), TensorAssert.Random(3, -1, 1, 3), TensorAssert.Random(4, -1, 1, 3), Positive(5, 3));
        var expected = InferenceExpected(x, scale, bias, mean, variance);
        var folded = new OpCase("BatchNormalization").Input(x).Const(scale).Const(bias).Const(mean).Const(variance).Attr("epsilon", Eps);
        var plan = folded.Compile(new PlanOptions { Pool = TestPools.Two });
        Assert.Contains(plan.Describe(), d => d.Algorithm == "batchnorm-folded");
        plan.Run();
        TensorAssert.Close(expected, plan.Output(0).Floats, 1e-5, 1e-5);
        var unfolded = new OpCase("BatchNormalization").Input(x).Input(scale).Input(bias).Const(mean).Const(variance).Attr("epsilon", Eps).Run1();
        TensorAssert.Close(expected, unfolded.Floats, 1e-5, 1e-5);
    }

    [Fact]
    public void Rank_two_input_normalizes_each_feature()
    {
        var x = TensorAssert.Random(6, -2, 2, 4, 3);
        var (scale, bias, mean, variance) = (TensorAssert.Random(7, -1, 1, 3), TensorAssert.Random(8, -1, 1, 3), TensorAssert.Random(9, -1, 1, 3), Positive(10, 3));
        var y = new OpCase("BatchNormalization").Input(x).Const(scale).Const(bias).Const(mean).Const(variance).Attr("epsilon", Eps).Run1();
        TensorAssert.Close(InferenceExpected(x, scale, bias, mean, variance), y.Floats, 1e-5, 1e-5);
    }

    [Fact]
    public void Training_normalizes_with_batch_statistics_and_updates_running_ones_in_place()
    {
        var x = TensorAssert.Random(11, -2, 3, 3, 4, 5, 2);
        var (scale, bias) = (TensorAssert.Random(12, -1, 1, 4), TensorAssert.Random(13, -1, 1, 4));
        var mean = TensorAssert.Random(14, -1, 1, 4);
        var variance = Positive(15, 4);
        var (mean0, var0) = (mean.Floats.ToArray(), variance.Floats.ToArray());
        var y = new OpCase("BatchNormalization").Input(x).Const(scale).Const(bias).Const(mean).Const(variance)
            .Attr("epsilon", Eps).Attr("momentum", 0.8f).Run1(training: true);

        var expected = new float[x.Length];
        var batchMean = new float[4];
        var batchVar = new float[4];
        BatchNormalizationReference.TrainingForward(x.Floats, 3, 4, 10, scale.Floats, bias.Floats, Eps, expected, batchMean, batchVar);
        TensorAssert.Close(expected, y.Floats, 1e-4, 1e-5);
        for (int c = 0; c < 4; c++)
        {
            Assert.Equal(0.8 * mean0[c] + 0.2 * batchMean[c], mean.Floats[c], 1e-5);
            // PyTorch's running variance uses the unbiased batch variance (30 values per channel).
            Assert.Equal(0.8 * var0[c] + 0.2 * batchVar[c] * 30 / 29, variance.Floats[c], 1e-5);
        }
    }

    [Fact]
    public void Training_mode_attribute_outputs_running_statistics_without_touching_inputs()
    {
        var x = TensorAssert.Random(16, -2, 3, 2, 3, 4);
        var (scale, bias) = (TensorAssert.Random(17, -1, 1, 3), TensorAssert.Random(18, -1, 1, 3));
        var mean = Tensor.Zeros(3);
        var variance = Tensor.From(new[] { 1f, 1f, 1f }, 3);
        var r = new OpCase("BatchNormalization").Input(x).Const(scale).Const(bias).Const(mean).Const(variance)
            .Attr("epsilon", Eps).Attr("training_mode", 1L).Outputs(3).WithOpset(15).Run();
        var expected = new float[x.Length];
        var batchMean = new float[3];
        var batchVar = new float[3];
        BatchNormalizationReference.TrainingForward(x.Floats, 2, 3, 4, scale.Floats, bias.Floats, Eps, expected, batchMean, batchVar);
        TensorAssert.Close(expected, r[0].Floats, 1e-4, 1e-5);
        for (int c = 0; c < 3; c++)
        {
            Assert.Equal(0.1 * batchMean[c], r[1].Floats[c], 1e-5);
            // The node's own training_mode follows ONNX: the biased batch variance (the backend cases
            // test_batchnorm_*_training_mode check this); only the engine's training uses PyTorch's unbiased one.
            Assert.Equal(0.9 + 0.1 * batchVar[c], r[2].Floats[c], 1e-5);
        }
        Assert.Equal(new float[3], mean.Floats.ToArray());
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Channel_kernels_match_reference(int plane)
    {
        if (plane == 0) return;
        int n = 2, c = 3;
        var x = TensorAssert.Random(plane, -2, 3, n * c * plane).Floats.ToArray();
        var dy = TensorAssert.Random(plane + 1, -1, 1, n * c * plane).Floats.ToArray();
        float[] scale = [0.5f, -1.5f, 2f], bias = [0.1f, 0.2f, -0.3f];
        var yRef = new float[x.Length];
        var mRef = new float[c];
        var vRef = new float[c];
        BatchNormalizationReference.TrainingForward(x, n, c, plane, scale, bias, Eps, yRef, mRef, vRef);
        var dxRef = new float[x.Length];
        var dsRef = new float[c];
        var dbRef = new float[c];
        BatchNormalizationReference.TrainingBackward(x, dy, n, c, plane, scale, Eps, dxRef, dsRef, dbRef);

        var y = new float[x.Length];
        var dx = new float[x.Length];
        for (int ch = 0; ch < c; ch++)
        {
            var (m, v) = BatchNormalizationKernels.Statistics(x, n, c, plane, ch);
            Assert.Equal(mRef[ch], m, 1e-5);
            Assert.Equal(vRef[ch], v, 1e-4);
            var (a, b) = BatchNormalizationKernels.Fold(scale[ch], bias[ch], m, v, Eps);
            BatchNormalizationKernels.Apply(x, y, n, c, plane, ch, a, b);
            var (ds, db) = BatchNormalizationKernels.BackwardBatch(x, dy, dx, n, c, plane, ch, m, 1 / MathF.Sqrt(v + Eps), scale[ch]);
            Assert.Equal(dsRef[ch], ds, 1e-3);
            Assert.Equal(dbRef[ch], db, 1e-3);
        }
        TensorAssert.Close(yRef, y, 1e-4, 1e-4);
        TensorAssert.Close(dxRef, dx, 1e-3, 1e-4);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Gradients_match_finite_differences(bool training) =>
        GradCheck.Check(new OpCase("BatchNormalization")
            .Input(TensorAssert.Random(21, -2, 2, 3, 2, 3, 2))
            .Input(TensorAssert.Random(22, -1.5f, 1.5f, 2))
            .Input(TensorAssert.Random(23, -1, 1, 2))
            .Const(TensorAssert.Random(24, -1, 1, 2))
            .Const(Positive(25, 2))
            .Attr("epsilon", Eps), training, eps: 1e-3f);
}
