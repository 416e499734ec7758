using Prunus.Data;
using Prunus.Graph;
using Prunus.Models;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Prunus.Training;

namespace Prunus.Tests.Training;

public sealed class TrainerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("prunus-train-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static TrainerOptions Options(int epochs = 3) => new()
    {
        Epochs = epochs,
        BatchSize = 16,
        LearningRate = 0.1,
        Momentum = 0.9,
        WeightDecay = 1e-3,
        Seed = 5,
        Pool = TestPools.Two,
    };

    [Fact]
    public void Training_reduces_the_loss_on_a_separable_problem()
    {
        var data = TinyModels.Separable(120);
        var graph = TinyModels.Mlp();
        var before = new Evaluator(graph, 50, TestPools.One).Evaluate(data);
        using var trainer = new Trainer(graph, data, Options(epochs: 6), validation: data);
        var result = trainer.Run();

        Assert.False(result.Stopped);
        Assert.Equal(6, result.Epochs.Count);
        Assert.Equal(6 * 8, result.GlobalStep); // 120 / 16 -> 7 full steps and one of 8
        Assert.True(result.Epochs[^1].Loss < 0.5 * result.Epochs[0].Loss, $"loss {result.Epochs[0].Loss} -> {result.Epochs[^1].Loss}");
        var after = result.Epochs[^1].Validation!.Value;
        Assert.True(after.Loss < 0.5 * before.Loss, $"eval loss {before.Loss} -> {after.Loss}");
        Assert.True(after.Accuracy > 0.95, $"accuracy {after.Accuracy}");
        Assert.Equal(120, after.Count);
        Assert.True(result.Epochs[^1].ImagesPerSecond > 0);
    }

    [Theory]
    [InlineData(OptimizerKind.Sgd)]
    [InlineData(OptimizerKind.Adam)]
    [InlineData(OptimizerKind.AdamW)]
    public void Every_optimizer_learns(OptimizerKind kind)
    {
        var data = TinyModels.Separable(96);
        var opts = Options(epochs: 4) with { Optimizer = kind, LearningRate = kind == OptimizerKind.Sgd ? 0.1 : 0.02, WeightDecay = 0.01 };
        using var trainer = new Trainer(TinyModels.Mlp(), data, opts);
        var r = trainer.Run();
        Assert.True(r.Epochs[^1].Loss < 0.6 * r.Epochs[0].Loss, $"{kind}: {r.Epochs[0].Loss} -> {r.Epochs[^1].Loss}");
    }

    private sealed class StopAt(long step) : ITrainingCallback
    {
        public void OnStepEnd(Trainer t) { if (t.GlobalStep == step) t.RequestStop(); }
    }

    /// <summary>Prunes half of w1 at the start of epoch 1, to carry a mask through the checkpoint.</summary>
    private sealed class PruneAtEpoch1 : ITrainingCallback
    {
        public void OnEpochStart(Trainer t)
        {
            if (t.Epoch != 1 || t.ResumedMidEpoch) return;
            var p = t.Parameter("w1");
            var mask = Tensor.Zeros(p.Value.Shape);
            for (int i = 0; i < mask.Length; i++) mask.Floats[i] = i % 2;
            p.Mask = mask;
        }
    }

    public static TheoryData<OptimizerKind, long, bool> ResumeCases() => new()
    {
        { OptimizerKind.Sgd, 11, false },  // mid-epoch (7 steps per epoch)
        { OptimizerKind.Sgd, 7, false },   // exactly at an epoch boundary
        { OptimizerKind.Adam, 3, true },   // with augmentation, Nesterov irrelevant
        { OptimizerKind.AdamW, 16, true }, // after the mask was set
    };

    [Theory]
    [MemberData(nameof(ResumeCases))]
    public void Resumed_run_ends_with_bit_identical_weights(OptimizerKind kind, long stopStep, bool augment)
    {
        var data = TinyModels.Separable(100);
        var opts = Options(epochs: 3) with
        {
            Optimizer = kind,
            LearningRate = kind == OptimizerKind.Sgd ? 0.05 : 0.01,
            Nesterov = kind == OptimizerKind.Sgd,
            Schedule = new WarmupSchedule(3, LrSchedule.Cosine(3)) { Unit = ScheduleUnit.Step },
            LabelSmoothing = 0.1f,
            Augmentation = augment ? new Augmentation(1, true) : null,
        };
        var initial = TinyModels.Mlp(dropout: 0.25f); // dropout draws from the per-step stream, which must replay too

        var full = initial.Clone();
        using (var t = new Trainer(full, data, opts))
        {
            t.Callbacks.Add(new PruneAtEpoch1());
            Assert.False(t.Run().Stopped);
        }

        var path = Path.Combine(_dir, "run.ckpt");
        var first = initial.Clone();
        using (var t = new Trainer(first, data, opts with { CheckpointPath = path }))
        {
            t.Callbacks.Add(new PruneAtEpoch1());
            t.Callbacks.Add(new StopAt(stopStep));
            var r = t.Run();
            Assert.True(r.Stopped);
            Assert.Equal(stopStep, r.GlobalStep);
        }

        var resumed = initial.Clone();
        using (var t = new Trainer(resumed, data, opts))
        {
            t.Callbacks.Add(new PruneAtEpoch1());
            t.LoadCheckpoint(path);
            Assert.Equal(stopStep, t.GlobalStep);
            Assert.Equal((int)(stopStep / 7), t.Epoch);
            var r = t.Run();
            Assert.False(r.Stopped);
            Assert.Equal(21, r.GlobalStep);
        }

        foreach (var (name, w) in full.Initializers)
            Assert.Equal(w.Floats.ToArray(), resumed.Initializers[name].Floats.ToArray());
        // The run really changed the weights, and the pruned half of w1 is exactly zero.
        Assert.NotEqual(initial.Initializers["w2"].Floats.ToArray(), full.Initializers["w2"].Floats.ToArray());
        var w1 = resumed.Initializers["w1"].Floats;
        for (int i = 0; i < w1.Length; i += 2) Assert.Equal(0f, w1[i]);
    }

    [Theory]
    [InlineData("mlp")]
    [InlineData("lenet5")]
    public void Zoo_models_learn_and_resume_bit_exactly_on_two_threads(string model)
    {
        var data = TinyModels.Bars(16);
        var opts = Options(epochs: 2) with { BatchSize = 8, LearningRate = 0.05, Augmentation = new Augmentation(2, false) };
        var initial = ModelZoo.Create(model, new ZooOptions { Seed = 1 });

        var full = initial.Clone();
        TrainingResult r;
        using (var t = new Trainer(full, data, opts)) r = t.Run();
        Assert.True(r.Epochs[^1].Loss < r.Epochs[0].Loss, $"{model}: loss {r.Epochs[0].Loss} -> {r.Epochs[^1].Loss}");

        var path = Path.Combine(_dir, model + ".ckpt");
        using (var t = new Trainer(initial.Clone(), data, opts with { CheckpointPath = path }))
        {
            t.Callbacks.Add(new StopAt(3));
            Assert.True(t.Run().Stopped);
        }
        var resumed = initial.Clone();
        using (var t = new Trainer(resumed, data, opts))
        {
            t.LoadCheckpoint(path);
            t.Run();
        }
        foreach (var (name, w) in full.Initializers)
            Assert.True(w.Floats.SequenceEqual(resumed.Initializers[name].Floats), $"{model}: '{name}' differs after resuming");
    }

    [Fact]
    public void Resume_with_other_settings_is_refused()
    {
        var data = TinyModels.Separable(40);
        var path = Path.Combine(_dir, "a.ckpt");
        using (var t = new Trainer(TinyModels.Mlp(), data, Options(1))) { t.Run(); t.SaveCheckpoint(path); }
        using var other = new Trainer(TinyModels.Mlp(), data, Options(2) with { LearningRate = 0.2 });
        var e = Assert.Throws<DataException>(() => other.LoadCheckpoint(path));
        Assert.Contains("lr=0.1", e.Message);
        Assert.Contains("lr=0.2", e.Message);
        Assert.Contains(path, e.Message);

        // More epochs with the same settings is a valid extension of the run.
        using var longer = new Trainer(TinyModels.Mlp(), data, Options(2));
        longer.LoadCheckpoint(path);
        Assert.Equal(1, longer.Epoch);
        Assert.Single(longer.Run().Epochs);
    }

    [Fact]
    public void Corrupt_and_truncated_checkpoints_are_reported()
    {
        var data = TinyModels.Separable(40);
        var path = Path.Combine(_dir, "c.ckpt");
        using var t = new Trainer(TinyModels.Mlp(), data, Options(1));
        t.SaveCheckpoint(path);
        var bytes = File.ReadAllBytes(path);

        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 1;
        File.WriteAllBytes(path, flipped);
        Assert.Contains("corrupt", Assert.Throws<DataException>(() => t.LoadCheckpoint(path)).Message);
        File.WriteAllBytes(path, bytes[..(bytes.Length - 40)]);
        Assert.Contains(path, Assert.Throws<DataException>(() => t.LoadCheckpoint(path)).Message);
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("not a Prunus checkpoint", Assert.Throws<DataException>(() => t.LoadCheckpoint(path)).Message);
    }

    [Fact]
    public void Checkpoint_round_trips_every_field()
    {
        var c = new Checkpoint
        {
            Configuration = "x=1; y=2",
            Epoch = 3, StepInEpoch = 4, GlobalStep = 55, Optimizer = OptimizerKind.AdamW, OptimizerSteps = 54,
            RunningLossSum = 1.25, RunningCorrect = 17, RunningSeen = 20, RunningSeconds = 0.5,
        };
        c.Weights["w"] = TensorAssert.Random(1, -1, 1, 3, 2);
        c.Weights["shape"] = Tensor.From(new long[] { 4, -1 }, 2);
        c.Weights["flag"] = Tensor.From(new[] { true, false }, 2);
        c.OptimizerState["w/exp_avg"] = TensorAssert.Random(2, -1, 1, 3, 2);
        c.Masks["w"] = Tensor.From(new[] { 1f, 0f, 1f, 1f, 0f, 1f }, 3, 2);
        var path = Path.Combine(_dir, "rt.ckpt");
        c.Save(path);
        var r = Checkpoint.Load(path);
        Assert.Equal((c.Configuration, c.Epoch, c.StepInEpoch, c.GlobalStep, c.Optimizer, c.OptimizerSteps),
            (r.Configuration, r.Epoch, r.StepInEpoch, r.GlobalStep, r.Optimizer, r.OptimizerSteps));
        Assert.Equal((c.RunningLossSum, c.RunningCorrect, c.RunningSeen, c.RunningSeconds), (r.RunningLossSum, r.RunningCorrect, r.RunningSeen, r.RunningSeconds));
        Assert.Equal(c.Weights["w"].Floats.ToArray(), r.Weights["w"].Floats.ToArray());
        Assert.Equal(new long[] { 4, -1 }, r.Weights["shape"].Span<long>().ToArray());
        Assert.Equal(new[] { true, false }, r.Weights["flag"].Span<bool>().ToArray());
        Assert.Equal(c.OptimizerState["w/exp_avg"].Floats.ToArray(), r.OptimizerState["w/exp_avg"].Floats.ToArray());
        Assert.Equal(new[] { 3, 2 }, r.Masks["w"].Shape);
        Assert.Equal(16, r.ConfigurationHash.Length);
        Assert.Equal(c.ConfigurationHash, r.ConfigurationHash);
        Assert.NotEqual(new Checkpoint { Configuration = "x=2" }.ConfigurationHash, r.ConfigurationHash);
    }

    private sealed class Recorder : ITrainingCallback
    {
        public readonly List<string> Events = [];
        public readonly List<double> Rates = [];
        public void OnEpochStart(Trainer t) => Events.Add($"start {t.Epoch}");
        public void OnStepStart(Trainer t) { Events.Add("step"); Rates.Add(t.Optimizer.LearningRate); }
        public void OnStepEnd(Trainer t) => Events.Add($"end {t.BatchCount}");
        public void OnEpochEnd(Trainer t, EpochSummary s) => Events.Add($"done {s.Epoch}");
    }

    [Fact]
    public void Callbacks_progress_and_schedule_follow_the_run()
    {
        var data = TinyModels.Separable(40);
        var schedule = LrSchedule.StepDecay(1, 0.5);
        using var t = new Trainer(TinyModels.Mlp(), data, Options(2) with { Schedule = schedule });
        var rec = new Recorder();
        t.Callbacks.Add(rec);
        var progress = new List<TrainingProgress>();
        t.Progress = progress.Add;
        t.Run();

        // 40 images in batches of 16: 16, 16, 8.
        string[] epoch(int e) => [$"start {e}", "step", "end 16", "step", "end 16", "step", "end 8", $"done {e}"];
        Assert.Equal([.. epoch(0), .. epoch(1)], rec.Events);
        Assert.Equal(new[] { 0.1, 0.1, 0.1, 0.05, 0.05, 0.05 }, rec.Rates);
        Assert.Equal(8, progress.Count);
        Assert.Equal(2, progress.Count(p => p.EpochDone));
        var last = progress[^1];
        Assert.Equal((1, 2, 3, 3, 6L), (last.Epoch, last.Epochs, last.Step, last.StepsPerEpoch, last.GlobalStep));
        Assert.InRange(last.Accuracy, 0, 1);
    }

    [Fact]
    public void A_callback_can_override_the_learning_rate()
    {
        var data = TinyModels.Separable(32);
        var graph = TinyModels.Mlp();
        var initial = graph.Clone();
        using var t = new Trainer(graph, data, Options(1));
        t.Callbacks.Add(new ZeroRate());
        t.Run();
        foreach (var (name, w) in initial.Initializers) Assert.Equal(w.Floats.ToArray(), graph.Initializers[name].Floats.ToArray());
    }

    private sealed class ZeroRate : ITrainingCallback
    {
        public void OnStepStart(Trainer t) => t.Optimizer.LearningRate = 0;
    }

    [Fact]
    public void Drop_last_skips_the_partial_batch()
    {
        using var t = new Trainer(TinyModels.Mlp(), TinyModels.Separable(40), Options(1) with { DropLast = true });
        Assert.Equal(2, t.StepsPerEpoch);
        Assert.Equal(2, t.Run().GlobalStep);
    }

    [Fact]
    public void Evaluation_does_not_depend_on_the_batch_size()
    {
        var data = TinyModels.Separable(37);
        var graph = TinyModels.Mlp();
        var a = new Evaluator(graph, 5, TestPools.One).Evaluate(data);
        var b = new Evaluator(graph, 1000, TestPools.One).Evaluate(data);
        Assert.Equal(a.Correct, b.Correct);
        Assert.Equal(a.Loss, b.Loss, 1e-6);
        Assert.Equal(37, a.Count);
    }

    [Fact]
    public void Evaluator_sees_weights_changed_in_place()
    {
        var data = TinyModels.Separable(20);
        var graph = TinyModels.Mlp();
        var ev = new Evaluator(graph, 8, TestPools.One);
        var before = ev.Evaluate(data);
        graph.Initializers["b2"].Floats[0] += 50; // every image now predicts class 0
        var after = ev.Evaluate(data);
        Assert.NotEqual(before.Loss, after.Loss);
        Assert.Equal(data.Labels.ToArray().Count(l => l == 0), after.Correct);
    }

    [Fact]
    public void A_model_taking_flattened_images_gets_rank_2_batches()
    {
        var data = TinyModels.Separable(40);
        var graph = TinyModels.Mlp(flatInput: true);
        using var t = new Trainer(graph, data, Options(2));
        var r = t.Run();
        Assert.Equal(new[] { 8, 8 }, t.CurrentPlan!.Input(0).Shape); // the last batch: 8 images of 8 pixels
        Assert.Equal(40, new Evaluator(graph, 16, TestPools.One).Evaluate(data).Count);
        Assert.Equal(6, r.GlobalStep);
    }

    [Fact]
    public void Mismatched_data_and_model_are_reported()
    {
        var data = TinyModels.Separable(20, features: 6);
        using var t = new Trainer(TinyModels.Mlp(), data, Options(1));
        Assert.Throws<DataException>(() => t.Run());
        var many = TinyModels.Separable(20, classes: 5);
        using var t2 = new Trainer(TinyModels.Mlp(classes: 3), many, Options(1));
        Assert.Contains("5 classes", Assert.Throws<DataException>(() => t2.Run()).Message);
    }

    [Fact]
    public void Divergence_is_reported()
    {
        var data = TinyModels.Separable(40);
        using var t = new Trainer(TinyModels.Mlp(), data, Options(3) with { LearningRate = 1e30, Momentum = 0 });
        Assert.Contains("diverged", Assert.Throws<PrunusException>(() => t.Run()).Message);
    }
}
