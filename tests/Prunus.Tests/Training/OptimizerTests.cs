using Prunus.Tensors;
using Prunus.Tests.Support;
using Prunus.Training;

namespace Prunus.Tests.Training;

[Trait("Category", "Kernel")] // the updates have vector paths with scalar tails
public class OptimizerTests
{
    private static readonly float[][] Grads =
    [
        [0.5f, -1.0f, 2.0f, 0.0f],
        [-0.25f, 0.5f, 1.0f, 0.1f],
        [1.0f, 1.0f, -1.0f, 0.2f],
    ];

    private static Parameter Param(params float[] w) => new("w", Tensor.From(w, w.Length), Tensor.Zeros(w.Length));

    /// <summary>Runs three steps from w = [1, -2, 0.5, 3] with the fixed gradients above.</summary>
    private static float[] Run(Func<IReadOnlyList<Parameter>, Optimizer> make, int steps = 3)
    {
        var p = Param(1f, -2f, 0.5f, 3f);
        var opt = make([p]);
        for (int s = 0; s < steps; s++)
        {
            Grads[s].CopyTo(p.Gradient.Floats);
            opt.Step();
        }
        return p.Value.Floats.ToArray();
    }

    [Fact]
    public void Plain_sgd_is_w_minus_lr_g()
    {
        var w = Run(p => new Sgd(p, 0.1), steps: 1);
        Assert.Equal(new[] { 0.95f, -1.9f, 0.3f, 3f }, w);
    }

    [Fact]
    public void Momentum_accumulates_by_hand()
    {
        // buf1 = g1; buf2 = 0.9 g1 + g2; w2 = w0 - 0.1 (buf1 + buf2)
        var w = Run(p => new Sgd(p, 0.1, momentum: 0.9), steps: 2);
        float[] w0 = [1f, -2f, 0.5f, 3f];
        for (int i = 0; i < 4; i++)
        {
            float b1 = Grads[0][i], b2 = 0.9f * b1 + Grads[1][i];
            Assert.Equal(w0[i] - 0.1f * b1 - 0.1f * b2, w[i], 1e-6f);
        }
    }

    // Reference values from PyTorch 1.13 (torch.optim) for the same three steps.
    [Fact]
    public void Sgd_momentum_matches_pytorch() =>
        TensorAssert.Close([0.812000036f, -1.924000025f, -0.131999984f, 2.960999966f], Run(p => new Sgd(p, 0.1, 0.9)), 1e-6, 1e-7);

    [Fact]
    public void Sgd_nesterov_with_weight_decay_matches_pytorch() =>
        TensorAssert.Close([0.698189199f, -1.966378450f, -0.270398408f, 2.910830736f],
            Run(p => new Sgd(p, 0.1, 0.9, weightDecay: 0.01, nesterov: true)), 1e-6, 1e-7);

    [Fact]
    public void Sgd_weight_decay_matches_pytorch() =>
        TensorAssert.Close([0.860448599f, -2.020897150f, 0.295032412f, 2.925274611f], Run(p => new Sgd(p, 0.1, weightDecay: 0.05)), 1e-6, 1e-7);

    [Fact]
    public void Nesterov_first_step_by_hand()
    {
        // g' = g + wd w; buf = g'; step = g' + m buf = (1 + m) g'.
        var w = Run(p => new Sgd(p, 0.1, 0.9, weightDecay: 0.01, nesterov: true), steps: 1);
        float[] w0 = [1f, -2f, 0.5f, 3f];
        for (int i = 0; i < 4; i++)
        {
            float g = Grads[0][i] + 0.01f * w0[i];
            Assert.Equal(w0[i] - 0.1f * (g + 0.9f * g), w[i], 1e-6f);
        }
    }

    [Fact]
    public void Adam_first_step_is_lr_times_sign_by_bias_correction()
    {
        // After one step m^ = g and v^ = g^2, so the step is lr * g / (|g| + eps).
        var w = Run(p => new Adam(p, 0.01), steps: 1);
        Assert.Equal(1f - 0.01f, w[0], 1e-6f);
        Assert.Equal(-2f + 0.01f, w[1], 1e-6f);
        Assert.Equal(0.5f - 0.01f, w[2], 1e-6f);
        Assert.Equal(3f, w[3]); // zero gradient: no move
    }

    [Fact]
    public void Adam_second_step_by_hand()
    {
        var w = Run(p => new Adam(p, 0.01), steps: 2);
        float[] w0 = [1f, -2f, 0.5f, 3f];
        for (int i = 0; i < 4; i++)
        {
            double g1 = Grads[0][i], g2 = Grads[1][i];
            double m1 = 0.1 * g1, v1 = 0.001 * g1 * g1;
            double m2 = 0.9 * m1 + 0.1 * g2, v2 = 0.999 * v1 + 0.001 * g2 * g2;
            double w1 = w0[i] - 0.01 / 0.1 * m1 / (Math.Sqrt(v1) / Math.Sqrt(0.001) + 1e-8);
            double bc1 = 1 - 0.81, bc2 = 1 - 0.999 * 0.999;
            double expected = w1 - 0.01 / bc1 * m2 / (Math.Sqrt(v2) / Math.Sqrt(bc2) + 1e-8);
            Assert.Equal(expected, w[i], 1e-6);
        }
    }

    [Fact]
    public void Adam_matches_pytorch() =>
        TensorAssert.Close([0.980755508f, -1.990063548f, 0.476711154f, 2.984272957f], Run(p => new Adam(p, 0.01)), 1e-6, 1e-7);

    [Fact]
    public void Adam_l2_decay_matches_pytorch() =>
        TensorAssert.Close([0.977977574f, -1.985747457f, 0.476404399f, 2.970056057f], Run(p => new Adam(p, 0.01, weightDecay: 0.1)), 1e-6, 1e-7);

    [Fact]
    public void AdamW_decoupled_decay_matches_pytorch() =>
        TensorAssert.Close([0.977781236f, -1.984092355f, 0.475241989f, 2.975289583f],
            Run(p => new Adam(p, 0.01, weightDecay: 0.1, decoupled: true)), 1e-6, 1e-7);

    [Fact]
    public void AdamW_with_zero_gradient_only_shrinks()
    {
        var p = Param(2f);
        var opt = Optimizer.Create(OptimizerKind.AdamW, [p], 0.1, weightDecay: 0.5);
        opt.Step();
        Assert.Equal(2f * (1 - 0.05f), p.Value.Floats[0], 1e-7f);
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdamW)]
    public void Masked_weights_stay_exactly_zero_and_others_are_unaffected(OptimizerKind kind)
    {
        int n = 37; // not a multiple of any vector width, so the scalar tail is exercised too
        var init = TensorAssert.Random(1, -1, 1, n);
        var masked = new Parameter("w", init.Clone(), Tensor.Zeros(n));
        var free = new Parameter("w", init.Clone(), Tensor.Zeros(n));
        var mask = Tensor.Zeros(n);
        for (int i = 0; i < n; i++) mask.Floats[i] = i % 3 == 0 ? 0 : 1;
        masked.Mask = mask;
        var a = Optimizer.Create(kind, [masked], 0.05, momentum: 0.9, weightDecay: 0.1, nesterov: kind == OptimizerKind.Sgd);
        var b = Optimizer.Create(kind, [free], 0.05, momentum: 0.9, weightDecay: 0.1, nesterov: kind == OptimizerKind.Sgd);
        for (int s = 0; s < 5; s++)
        {
            var g = TensorAssert.Random(10 + s, -1, 1, n);
            masked.Gradient.CopyFrom(g);
            free.Gradient.CopyFrom(g);
            a.Step();
            b.Step();
        }
        for (int i = 0; i < n; i++)
        {
            if (i % 3 == 0)
            {
                Assert.Equal(0f, masked.Value.Floats[i]);
                Assert.False(float.IsNegative(masked.Value.Floats[i]), "a masked weight is -0");
                foreach (var state in a.State.Values) Assert.Equal(0f, state.Floats[i]);
            }
            else Assert.Equal(free.Value.Floats[i], masked.Value.Floats[i]);
        }
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdamW)]
    public void Loaded_state_continues_bit_exactly(OptimizerKind kind)
    {
        int n = 19;
        var p1 = new Parameter("w", TensorAssert.Random(3, -1, 1, n), Tensor.Zeros(n));
        var o1 = Optimizer.Create(kind, [p1], 0.01, momentum: 0.9, weightDecay: 0.01);
        for (int s = 0; s < 3; s++) { p1.Gradient.CopyFrom(TensorAssert.Random(20 + s, -1, 1, n)); o1.Step(); }

        var p2 = new Parameter("w", p1.Value.Clone(), Tensor.Zeros(n));
        var o2 = Optimizer.Create(kind, [p2], 0.01, momentum: 0.9, weightDecay: 0.01);
        o2.LoadState(o1.State.ToDictionary(kv => kv.Key, kv => kv.Value.Clone()), o1.StepCount);
        Assert.Equal(3, o2.StepCount);
        for (int s = 3; s < 6; s++)
        {
            var g = TensorAssert.Random(20 + s, -1, 1, n);
            p1.Gradient.CopyFrom(g); o1.Step();
            p2.Gradient.CopyFrom(g); o2.Step();
        }
        Assert.Equal(p1.Value.Floats.ToArray(), p2.Value.Floats.ToArray());
    }

    [Fact]
    public void State_names_and_mismatches()
    {
        var p = Param(1f, 2f);
        var sgd = new Sgd([p], 0.1, momentum: 0.9);
        Assert.Equal(["w/momentum"], sgd.State.Keys);
        Assert.Empty(new Sgd([p], 0.1).State);
        Assert.Equal(["w/exp_avg", "w/exp_avg_sq"], new Adam([p], 0.1).State.Keys.Order());
        Assert.Throws<DataException>(() => sgd.LoadState(new Dictionary<string, Tensor>(), 0));
        Assert.Throws<DataException>(() => sgd.LoadState(new Dictionary<string, Tensor> { ["w/momentum"] = Tensor.Zeros(3) }, 0));
        Assert.Throws<DataException>(() => sgd.LoadState(new Dictionary<string, Tensor> { ["w/momentum"] = Tensor.Zeros(2), ["x/momentum"] = Tensor.Zeros(2) }, 0));
    }

    [Fact]
    public void Bad_settings_are_rejected()
    {
        var p = Param(1f);
        Assert.Throws<ArgumentException>(() => new Sgd([p], 0.1, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([p], -0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Adam([p], 0.1, beta1: 1));
        Assert.Throws<ArgumentException>(() => new Sgd([p, p], 0.1));
        Assert.Throws<ArgumentException>(() => p.Gradient = Tensor.Zeros(2));
        Assert.Throws<ArgumentException>(() => p.Mask = Tensor.Zeros(1, 1));
    }

    [Fact]
    public void Setting_a_mask_zeroes_masked_values_at_once()
    {
        var p = Param(1f, -2f, 3f);
        p.Mask = Tensor.From(new[] { 1f, 0f, 1f }, 3);
        Assert.Equal(new[] { 1f, 0f, 3f }, p.Value.Floats.ToArray());
    }
}
