using Prunus.Data;
using Prunus.Graph;
using Prunus.Training;

namespace Prunus.Quantization.Qat;

/// <summary>What a quantization-aware training run produced.</summary>
/// <param name="Trained">The trained model with its fake quantizers (domain ai.prunus; trains further, runs on Prunus).</param>
/// <param name="Quantized">The same model in the standard QDQ form (<see cref="QatExport.ToQdq"/>).</param>
/// <param name="Training">The trainer's summary of the run.</param>
public sealed record QatResult(ModelGraph Trained, ModelGraph Quantized, TrainingResult Training);

/// <summary>
/// Quantization-aware training end to end: <see cref="QatPreparation.Prepare"/> (BatchNorm folded, fake quantizers,
/// activation ranges from the first training images), the ordinary <see cref="Trainer"/> with the given options
/// (optionally distilling from the float model), and <see cref="QatExport.ToQdq"/>.
/// </summary>
public static class QuantizationAwareTraining
{
    /// <summary>
    /// Trains a quantized version of <paramref name="graph"/> (unchanged) on <paramref name="train"/>. With
    /// <paramref name="distill"/> the loss mixes in the float model's soft predictions (one more float forward per step).
    /// </summary>
    public static QatResult Run(ModelGraph graph, ImageDataset train, TrainerOptions trainer, QatOptions? options = null, bool distill = false,
        ImageDataset? validation = null, Action<TrainingProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(trainer);
        var qat = QatPreparation.Prepare(graph, train, options);
        if (distill) trainer = trainer with { Distillation = new Distillation(graph) };
        using var t = new Trainer(qat, train, trainer, validation) { Progress = progress };
        var result = t.Run();
        return new QatResult(qat, QatExport.ToQdq(qat), result);
    }
}
