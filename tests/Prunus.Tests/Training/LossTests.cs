using Prunus.Tensors;
using Prunus.Tests.Support;
using Prunus.Training;

namespace Prunus.Tests.Training;

public class LossTests
{
    [Fact]
    public void Cross_entropy_matches_hand_computed_values()
    {
        var logits = Tensor.From(new[] { 1f, 2f, 3f, 1f, 1f, 1f }, 2, 3);
        var grad = Tensor.Zeros(2, 3);
        double loss = SoftmaxCrossEntropy.Compute(logits, [2, 0], grad);
        // Row 0: log(e + e^2 + e^3) - 3 = 0.4076059644; row 1: log 3 = 1.0986122887.
        Assert.Equal((0.4076059644 + 1.0986122887) / 2, loss, 1e-9);
        double s = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        var expected = new[]
        {
            Math.Exp(1) / s / 2, Math.Exp(2) / s / 2, (Math.Exp(3) / s - 1) / 2,
            (1.0 / 3 - 1) / 2, 1.0 / 3 / 2, 1.0 / 3 / 2,
        };
        TensorAssert.Close(expected.Select(v => (float)v).ToArray(), grad.Floats, 1e-6, 1e-7);
    }

    [Fact]
    public void Label_smoothing_follows_pytorch()
    {
        // PyTorch: F.cross_entropy(tensor([[1., 2., 3.]]), tensor([0]), label_smoothing=0.1) = 2.3076060
        var logits = Tensor.From(new[] { 1f, 2f, 3f }, 1, 3);
        var grad = Tensor.Zeros(1, 3);
        double loss = SoftmaxCrossEntropy.Compute(logits, [0], grad, labelSmoothing: 0.1f);
        double lse = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));
        double expected = 0.9 * (lse - 1) + 0.1 / 3 * (3 * lse - 6);
        Assert.Equal(expected, loss, 1e-7); // the smoothing is a float: 0.1f
        Assert.Equal(2.3076060, loss, 1e-6);
        // Gradient: softmax - (0.9 onehot + 0.1 / 3).
        Assert.Equal(Math.Exp(1 - lse) - (0.9 + 0.1 / 3), grad.Floats[0], 1e-6);
        Assert.Equal(Math.Exp(3 - lse) - 0.1 / 3, grad.Floats[2], 1e-6);
    }

    [Fact]
    public void Cross_entropy_is_stable_for_large_logits()
    {
        var logits = Tensor.From(new[] { 1000f, 0f, -1000f }, 1, 3);
        var grad = Tensor.Zeros(1, 3);
        Assert.Equal(0, SoftmaxCrossEntropy.Compute(logits, [0], grad), 1e-12);
        Assert.Equal(1000, SoftmaxCrossEntropy.Compute(logits, [1], grad), 1e-9);
        Assert.All(grad.Floats.ToArray(), v => Assert.True(float.IsFinite(v)));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.2f)]
    public void Cross_entropy_gradient_matches_finite_differences(float smoothing)
    {
        var logits = TensorAssert.Random(4, -3, 3, 5, 7);
        int[] labels = [0, 6, 3, 3, 1];
        var grad = Tensor.Zeros(5, 7);
        SoftmaxCrossEntropy.Compute(logits, labels, grad, smoothing);
        var x = logits.Floats;
        const float Eps = 1e-2f;
        for (int i = 0; i < x.Length; i++)
        {
            float orig = x[i];
            x[i] = orig + Eps; double up = SoftmaxCrossEntropy.Compute(logits, labels, null, smoothing);
            x[i] = orig - Eps; double down = SoftmaxCrossEntropy.Compute(logits, labels, null, smoothing);
            x[i] = orig;
            Assert.Equal((up - down) / (2 * Eps), grad.Floats[i], 1e-4);
        }
    }

    [Fact]
    public void Partial_batch_uses_only_its_rows_and_zeroes_the_rest()
    {
        var logits = TensorAssert.Random(2, -1, 1, 4, 3);
        var grad = Tensor.Zeros(4, 3);
        grad.Floats.Fill(9);
        double partial = SoftmaxCrossEntropy.Compute(logits, [1, 2, 0, 0], grad, count: 2);
        var first = Tensor.From(logits.Floats[..6].ToArray(), 2, 3);
        var firstGrad = Tensor.Zeros(2, 3);
        Assert.Equal(SoftmaxCrossEntropy.Compute(first, [1, 2], firstGrad), partial, 1e-12);
        Assert.Equal(firstGrad.Floats.ToArray(), grad.Floats[..6].ToArray());
        Assert.All(grad.Floats[6..].ToArray(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Logits_with_unit_dimensions_are_read_as_rows()
    {
        var flat = TensorAssert.Random(3, -1, 1, 2, 4);
        var shaped = flat.Reshape(2, 1, 1, 4);
        Assert.Equal(SoftmaxCrossEntropy.Compute(flat, [3, 1], null), SoftmaxCrossEntropy.Compute(shaped, [3, 1], null));
    }

    [Fact]
    public void Bad_labels_are_reported()
    {
        var logits = Tensor.Zeros(2, 3);
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Compute(logits, [0, 3], null));
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxCrossEntropy.Compute(logits, [-1, 0], null));
        Assert.Throws<ArgumentException>(() => SoftmaxCrossEntropy.Compute(logits, [0], null));
    }

    [Fact]
    public void Count_correct_takes_the_first_maximum()
    {
        var logits = Tensor.From(new[] { 0f, 5f, 1f, 2f, 2f, 0f, 0f, 0f, 1f }, 3, 3);
        Assert.Equal(3, SoftmaxCrossEntropy.CountCorrect(logits, [1, 0, 2]));
        Assert.Equal(1, SoftmaxCrossEntropy.CountCorrect(logits, [1, 1, 0]));
        Assert.Equal(1, SoftmaxCrossEntropy.CountCorrect(logits, [1, 1, 0], count: 2));
    }

    [Fact]
    public void Mse_matches_hand_computed_values_and_finite_differences()
    {
        var p = Tensor.From(new[] { 1f, 2f, 3f, 4f }, 2, 2);
        var t = Tensor.From(new[] { 1.5f, 2f, 1f, 5f }, 2, 2);
        var g = Tensor.Zeros(2, 2);
        Assert.Equal((0.25 + 0 + 4 + 1) / 4, MeanSquaredError.Compute(p, t, g), 1e-12);
        Assert.Equal(new[] { -0.25f, 0f, 1f, -0.5f }, g.Floats.ToArray());

        var x = TensorAssert.Random(8, -2, 2, 3, 5);
        var y = TensorAssert.Random(9, -2, 2, 3, 5);
        var grad = Tensor.Zeros(3, 5);
        MeanSquaredError.Compute(x, y, grad);
        for (int i = 0; i < x.Length; i++)
        {
            float orig = x.Floats[i];
            x.Floats[i] = orig + 1e-2f; double up = MeanSquaredError.Compute(x, y, null);
            x.Floats[i] = orig - 1e-2f; double down = MeanSquaredError.Compute(x, y, null);
            x.Floats[i] = orig;
            Assert.Equal((up - down) / 2e-2, grad.Floats[i], 1e-4);
        }
    }
}
