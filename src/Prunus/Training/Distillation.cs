using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Training;

/// <summary>
/// Knowledge distillation (Hinton et al., 2015): the student is trained on
/// (1 - alpha) * CE(student, labels) + alpha * T^2 * KL(softmax(teacher / T) || softmax(student / T)).
/// The T^2 factor keeps the soft term's gradient on the scale of the hard one's as T changes.
/// </summary>
/// <param name="Teacher">The model whose logits are the soft targets (run in inference mode; it is not trained).</param>
/// <param name="Temperature">Softening temperature T, above 0.</param>
/// <param name="Alpha">Weight of the soft term, in [0, 1].</param>
public sealed record Distillation(ModelGraph Teacher, double Temperature = 4, double Alpha = 0.9)
{
    /// <summary>Throws with a message naming the bad value.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(Teacher);
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "the distillation temperature must be above 0");
        if (Alpha is < 0 or > 1 || double.IsNaN(Alpha))
            throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "the distillation weight alpha must lie in [0, 1]");
    }

    /// <summary>
    /// The soft term alpha * T^2 * KL(p_teacher || p_student), averaged over the first <paramref name="count"/> rows,
    /// whose gradient alpha * T * (p_student - p_teacher) / count is ADDED to <paramref name="gradient"/>.
    /// </summary>
    public double AddSoftLoss(Tensor student, Tensor teacher, Tensor gradient, int count)
    {
        int rows = student.Rank == 0 ? 1 : student.Shape[0];
        int k = rows == 0 ? 0 : student.Length / rows;
        if (teacher.Length / Math.Max(1, teacher.Rank == 0 ? 1 : teacher.Shape[0]) != k)
            throw new ModelException($"the teacher's logits {teacher} do not match the student's {student}: both must give {k} scores per image");
        var s = student.Floats;
        var t = teacher.Floats;
        var g = gradient.Floats;
        double invT = 1 / Temperature, total = 0;
        var ps = new double[k];
        var pt = new double[k];
        for (int b = 0; b < count; b++)
        {
            SoftmaxRow(s.Slice(b * k, k), invT, ps);
            SoftmaxRow(t.Slice(b * k, k), invT, pt);
            double kl = 0;
            for (int j = 0; j < k; j++)
            {
                if (pt[j] > 0) kl += pt[j] * (Math.Log(pt[j]) - Math.Log(Math.Max(ps[j], 1e-300)));
                g[b * k + j] += (float)(Alpha * Temperature * (ps[j] - pt[j]) / count);
            }
            total += kl;
        }
        return count == 0 ? 0 : Alpha * Temperature * Temperature * total / count;
    }

    private static void SoftmaxRow(ReadOnlySpan<float> logits, double scale, double[] p)
    {
        double max = double.NegativeInfinity;
        foreach (var v in logits) max = Math.Max(max, v * scale);
        double sum = 0;
        for (int j = 0; j < logits.Length; j++) sum += p[j] = Math.Exp(logits[j] * scale - max);
        for (int j = 0; j < logits.Length; j++) p[j] /= sum;
    }
}
