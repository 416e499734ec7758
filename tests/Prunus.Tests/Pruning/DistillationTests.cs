using Prunus.Tensors;
using Prunus.Tests.Training;
using Prunus.Training;

namespace Prunus.Tests.Pruning;

public class DistillationTests
{
    private static Tensor Logits(int seed, int rows = 3, int k = 5)
    {
        var rng = new Random(seed);
        return Tensor.From(Enumerable.Range(0, rows * k).Select(_ => (float)(rng.NextDouble() * 6 - 3)).ToArray(), rows, k);
    }

    [Theory]
    [InlineData(1.0, 1.0)]
    [InlineData(4.0, 0.5)]
    public void Soft_loss_gradient_matches_finite_differences(double temperature, double alpha)
    {
        var kd = new Distillation(TinyModels.Mlp(), temperature, alpha);
        var student = Logits(1);
        var teacher = Logits(2);
        var grad = Tensor.Zeros(3, 5);
        kd.AddSoftLoss(student, teacher, grad, 3);
        const float h = 1e-2f;
        for (int i = 0; i < student.Length; i++)
        {
            float keep = student.Floats[i];
            student.Floats[i] = keep + h;
            double up = kd.AddSoftLoss(student, teacher, Tensor.Zeros(3, 5), 3);
            student.Floats[i] = keep - h;
            double down = kd.AddSoftLoss(student, teacher, Tensor.Zeros(3, 5), 3);
            student.Floats[i] = keep;
            Assert.Equal((up - down) / (2 * h), grad.Floats[i], 3);
        }
    }

    [Fact]
    public void Soft_loss_is_zero_when_the_student_is_the_teacher_and_adds_to_the_gradient()
    {
        var kd = new Distillation(TinyModels.Mlp(), 2, 0.7);
        var logits = Logits(3);
        var grad = Tensor.From(Enumerable.Repeat(0.25f, 15).ToArray(), 3, 5);
        Assert.Equal(0, kd.AddSoftLoss(logits, logits.Clone(), grad, 3), 9);
        Assert.All(grad.Floats.ToArray(), v => Assert.Equal(0.25f, v, 6));
        Assert.True(kd.AddSoftLoss(logits, Logits(4), grad, 3) > 0);
    }

    [Fact]
    public void Bad_settings_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new Distillation(TinyModels.Mlp(), 0, 0.5).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new Distillation(TinyModels.Mlp(), 2, 1.5).Validate());
    }
}
