namespace Prunus.Training;

/// <summary>
/// Hooks into a training run. Each method may read and change the model (the trainer's graph initializers, in place),
/// the optimizer (learning rate, masks on its parameters) and can call <see cref="Trainer.RequestStop"/>. Pruning
/// schedules are callbacks. All methods do nothing by default.
/// </summary>
public interface ITrainingCallback
{
    /// <summary>Before the first step of an epoch (also when a run resumes in the middle of one: see <see cref="Trainer.ResumedMidEpoch"/>).</summary>
    void OnEpochStart(Trainer trainer) { }
    /// <summary>Before a step's batch is filled; the learning rate for the step is already set and may be changed.</summary>
    void OnStepStart(Trainer trainer) { }
    /// <summary>After a step's optimizer update; <see cref="Trainer.LastLoss"/> holds its loss.</summary>
    void OnStepEnd(Trainer trainer) { }
    /// <summary>After the last step of an epoch and its validation, if any.</summary>
    void OnEpochEnd(Trainer trainer, EpochSummary summary) { }
}

/// <summary>Where a run is and how it goes, reported after every step and at the end of every epoch.</summary>
/// <param name="Epoch">Epoch index (0-based).</param>
/// <param name="Epochs">Epochs in the run.</param>
/// <param name="Step">Steps completed in this epoch.</param>
/// <param name="StepsPerEpoch">Steps in an epoch.</param>
/// <param name="GlobalStep">Steps completed in the run.</param>
/// <param name="Loss">Mean training loss over the epoch so far.</param>
/// <param name="Accuracy">Training accuracy over the epoch so far.</param>
/// <param name="ImagesPerSecond">Training throughput over the epoch so far.</param>
/// <param name="Seconds">Seconds spent training in this epoch.</param>
/// <param name="LearningRate">Learning rate of the last step.</param>
/// <param name="EpochDone">True for the report at the end of an epoch.</param>
public readonly record struct TrainingProgress(int Epoch, int Epochs, int Step, int StepsPerEpoch, long GlobalStep,
    double Loss, double Accuracy, double ImagesPerSecond, double Seconds, double LearningRate, bool EpochDone);

/// <summary>Accuracy and mean loss over a dataset.</summary>
/// <param name="Accuracy">Fraction of images whose largest logit is at the label.</param>
/// <param name="Loss">Mean cross-entropy.</param>
/// <param name="Count">Images evaluated.</param>
/// <param name="Correct">Images classified correctly.</param>
/// <param name="Seconds">Wall time of the evaluation.</param>
public readonly record struct Evaluation(double Accuracy, double Loss, int Count, int Correct, double Seconds);

/// <summary>One finished epoch.</summary>
/// <param name="Epoch">Epoch index (0-based).</param>
/// <param name="Loss">Mean training loss.</param>
/// <param name="Accuracy">Training accuracy (on augmented images, with the weights of each step).</param>
/// <param name="Seconds">Seconds spent training (without validation).</param>
/// <param name="ImagesPerSecond">Training throughput.</param>
/// <param name="LearningRate">Learning rate of the epoch's last step.</param>
/// <param name="Validation">Validation result, if the trainer has a validation set.</param>
public sealed record EpochSummary(int Epoch, double Loss, double Accuracy, double Seconds, double ImagesPerSecond,
    double LearningRate, Evaluation? Validation);

/// <summary>What <see cref="Trainer.Run"/> did.</summary>
/// <param name="Epochs">Summaries of the epochs finished in this call.</param>
/// <param name="Stopped">Whether a callback stopped the run before its last epoch ended.</param>
/// <param name="GlobalStep">Steps completed in the whole run.</param>
public sealed record TrainingResult(IReadOnlyList<EpochSummary> Epochs, bool Stopped, long GlobalStep);
