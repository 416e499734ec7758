using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Normalization;

[Trait("Category", "Kernel")]
public class DropoutTests
{
    private static readonly HashSet<string> WrtInput = ["in0"];

    [Fact]
    public void Inference_is_the_identity_and_a_view()
    {
        var x = TensorAssert.Random(1, -1, 1, 3, 17);
        var c = new OpCase("Dropout").Input(x).Const(Tensor.Scalar(0.5f));
        Assert.Equal(x.Floats.ToArray(), c.Run1().Floats.ToArray());
        Assert.Equal("view", Assert.Single(c.Compile().Describe()).Algorithm);
    }

    [Fact]
    public void Inference_with_the_mask_output_keeps_everything()
    {
        var x = TensorAssert.Random(2, -1, 1, 5, 7);
        var ys = new OpCase("Dropout").Input(x).Const(Tensor.Scalar(0.5f)).Outputs(2).Run();
        Assert.Equal(x.Floats.ToArray(), ys[0].Floats.ToArray());
        Assert.Equal(DataType.Bool, ys[1].Type);
        Assert.All(ys[1].Span<bool>().ToArray(), Assert.True);
    }

    [Fact]
    public void Inference_gradient_is_dy()
    {
        var plan = new OpCase("Dropout").Input(TensorAssert.Random(3, -1, 1, 4, 5)).Compile(new PlanOptions { InputGradients = WrtInput, Pool = TestPools.One });
        plan.Run();
        var dy = TensorAssert.Random(4, -1, 1, 4, 5);
        plan.OutputGradient().CopyFrom(dy);
        plan.Backward();
        Assert.Equal(dy.Floats.ToArray(), plan.Gradient("in0").Floats.ToArray());
    }

    [Theory]
    [InlineData(13, 0.3f)]
    [InlineData(13, 0.75f)]
    [InlineData(10, 0.25f)]
    public void Training_drops_about_ratio_and_scales_the_rest(long opset, float ratio)
    {
        var x = TensorAssert.Random(5, 0.5f, 1.5f, 100, 100);
        var c = new OpCase("Dropout").WithOpset(opset).Input(x).Outputs(2);
        if (opset >= 12) c.Const(Tensor.Scalar(ratio)); else c.Attr("ratio", ratio);
        var ys = c.Run(training: true);
        var y = ys[0].Floats;
        var mask = ys[1].Span<bool>();
        int dropped = 0;
        for (int i = 0; i < y.Length; i++)
        {
            if (mask[i]) Assert.Equal(x.Floats[i] / (1 - ratio), y[i], 1e-5f);
            else { Assert.Equal(0f, y[i]); dropped++; }
        }
        Assert.InRange(dropped / 10000.0, ratio - 0.03, ratio + 0.03);
    }

    [Fact]
    public void Training_mode_input_turns_dropout_on_in_an_inference_plan()
    {
        var x = TensorAssert.Random(6, 0.5f, 1.5f, 1000);
        var c = new OpCase("Dropout").Input(x).Const(Tensor.Scalar(0.5f)).Const(Tensor.Scalar(true));
        var y = c.Run1();
        Assert.Contains(0f, y.Floats.ToArray());
        Assert.NotEqual("view", Assert.Single(c.Compile().Describe()).Algorithm);
        var off = new OpCase("Dropout").Input(x).Const(Tensor.Scalar(0.5f)).Const(Tensor.Scalar(false)).Run1();
        Assert.Equal(x.Floats.ToArray(), off.Floats.ToArray());
    }

    [Fact]
    public void Training_gradient_is_mask_over_keep_probability_times_dy()
    {
        const float ratio = 0.4f;
        var c = new OpCase("Dropout").Input(TensorAssert.Random(7, -1, 1, 8, 9)).Const(Tensor.Scalar(ratio)).Outputs(2);
        var plan = c.Compile(new PlanOptions { Training = true, InputGradients = WrtInput, Pool = TestPools.One, Seed = 3 });
        plan.Run();
        var dy = TensorAssert.Random(8, -1, 1, 8, 9);
        plan.OutputGradient(0).CopyFrom(dy);
        plan.Backward();
        var mask = plan.Output(1).Span<bool>();
        var dx = plan.Gradient("in0").Floats;
        Assert.Contains(false, mask.ToArray());
        for (int i = 0; i < dx.Length; i++)
            Assert.Equal(mask[i] ? dy.Floats[i] / (1 - ratio) : 0f, dx[i], 1e-6f);
    }

    [Fact]
    public void Training_gradient_matches_finite_differences_for_a_fixed_mask() =>
        GradCheck.Check(new OpCase("Dropout").Input(TensorAssert.Random(9, -1, 1, 5, 6)).Const(Tensor.Scalar(0.3f)), training: true);

    [Fact]
    public void The_mask_follows_the_seed()
    {
        var plan = new OpCase("Dropout").Input(TensorAssert.Random(10, 0.5f, 1, 200)).Compile(new PlanOptions { Training = true, Pool = TestPools.One });
        float[] MaskFor(ulong seed)
        {
            plan.Context.Reseed(seed);
            plan.Run();
            return plan.Output(0).Floats.ToArray();
        }
        Assert.Equal(MaskFor(1), MaskFor(1));
        Assert.NotEqual(MaskFor(1), MaskFor(2));
    }

    [Fact]
    public void Ratio_zero_in_training_is_the_identity()
    {
        var x = TensorAssert.Random(11, -1, 1, 50);
        Assert.Equal(x.Floats.ToArray(), new OpCase("Dropout").Input(x).Const(Tensor.Scalar(0f)).Run1(training: true).Floats.ToArray());
    }

    [Fact]
    public void Rejects_a_ratio_outside_zero_to_one() =>
        Assert.Throws<ModelException>(() => new OpCase("Dropout").Input(TensorAssert.Random(1, 0, 1, 3)).Const(Tensor.Scalar(1.5f)).Run1());
}
