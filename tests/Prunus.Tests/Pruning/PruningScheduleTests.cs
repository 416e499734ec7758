using Prunus.Pruning;
using Prunus.Pruning.Criteria;
using Prunus.Pruning.Schedules;
using Prunus.Tests.Training;
using Prunus.Training;

namespace Prunus.Tests.Pruning;

public class PruningScheduleTests
{
    private static readonly Prunus.Data.ImageDataset Data = TinyModels.Separable(192, features: 8, classes: 3);

    private static TrainerOptions Options(double lr = 0.05) => new() { BatchSize = 32, LearningRate = lr, Threads = 1 };

    private static double Sparsity(Prunus.Graph.ModelGraph g) =>
        PrunableLayers.Find(g).Sum(l => l.Sparsity() * l.Size) / PrunableLayers.Find(g).Sum(l => l.Size);

    [Fact]
    public void Cubic_schedule_follows_zhu_and_gupta()
    {
        var g = TinyModels.Mlp();
        var agp = new GradualPruning(g, PrunableLayers.Find(g), Magnitude.L1, new PruningTarget { Sparsity = 0.8 }, 0.1, 10, 110, 10);
        Assert.Equal(0, agp.SparsityAt(5));
        Assert.Equal(0.1, agp.SparsityAt(10), 12);
        Assert.Equal(0.8 + (0.1 - 0.8) * Math.Pow(0.5, 3), agp.SparsityAt(60), 12);
        Assert.Equal(0.8, agp.SparsityAt(110), 12);
        Assert.Equal(0.8, agp.SparsityAt(500), 12);
        for (int t = 10; t < 110; t++) Assert.True(agp.SparsityAt(t + 1) >= agp.SparsityAt(t));
    }

    [Fact]
    public void Gradual_pruning_in_training_reaches_the_target_and_holds_it()
    {
        var g = TinyModels.Mlp();
        var events = new List<(long Step, double Sparsity)>();
        var agp = new GradualPruning(g, PrunableLayers.Find(g), Magnitude.L1, new PruningTarget { Sparsity = 0.75 }, 0, 0, 12, 4)
        {
            Pruned = (step, s) => events.Add((step, s)),
        };
        using var trainer = new Trainer(g, Data, Options() with { Epochs = 3 });
        trainer.Callbacks.Add(agp);
        trainer.Run(); // 6 steps per epoch: pruning at steps 0 (0%: skipped), 4, 8, 12
        Assert.Equal([4L, 8, 12], events.Select(e => e.Step));
        Assert.True(events[0].Sparsity < events[1].Sparsity && events[1].Sparsity < events[2].Sparsity);
        Assert.Equal(0.75, events[^1].Sparsity, 12);
        // Trained for 6 more steps after the last pruning: the zeros are still exactly where the masks are.
        Assert.Equal(0.75, Sparsity(g), 2);
        foreach (var (name, m) in agp.Masks!.Masks)
            for (int i = 0; i < m.Length; i++)
                Assert.Equal(m.Floats[i] == 0, g.Initializers[name].Floats[i] == 0);
    }

    [Theory]
    [InlineData(PruningSchedule.OneShot, 2)]
    [InlineData(PruningSchedule.Iterative, 3)]
    [InlineData(PruningSchedule.Gradual, 2)]
    [InlineData(PruningSchedule.Lottery, 3)]
    public void Every_schedule_ends_at_the_target_with_exact_zeros(PruningSchedule schedule, int epochs)
    {
        var g = TinyModels.Mlp();
        var recipe = new PruningRecipe
        {
            Target = new PruningTarget { Sparsity = 0.6 },
            Schedule = schedule,
            Epochs = epochs,
            Rounds = 2,
            GradualFrequency = 2,
            Training = Options(),
        };
        var log = new List<string>();
        var masks = new PruningRunner(recipe, Data) { Log = log.Add }.Run(g);
        Assert.False(masks.HasOriginals);
        Assert.Equal(0.6, Sparsity(g), 2);
        Assert.Equal(0.6, masks.Sparsity(), 2);
        Assert.Contains(log, l => l.Contains("pruned to") || l.StartsWith("step", StringComparison.Ordinal));
    }

    [Fact]
    public void Iterative_rounds_remove_equal_fractions_of_the_survivors()
    {
        Assert.Equal(1 - Math.Sqrt(0.1), PruningRunner.RoundSparsity(0.9, 1, 2), 12);
        Assert.Equal(0.9, PruningRunner.RoundSparsity(0.9, 2, 2), 12);
        Assert.Equal(0.5, PruningRunner.RoundSparsity(0.75, 1, 2), 12);
    }

    [Fact]
    public void Lottery_rewinds_the_survivors_to_the_input_weights()
    {
        // With a learning rate of 0 nothing trains, so each round's rewind is visible only through what it restores:
        // the survivors hold the input values and the pruned weights are zero.
        var g = TinyModels.Mlp();
        var input = g.Initializers.ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        var recipe = new PruningRecipe { Target = new PruningTarget { Sparsity = 0.5 }, Schedule = PruningSchedule.Lottery, Epochs = 3, Rounds = 2, Training = Options(lr: 0.05) };
        var masks = new PruningRunner(recipe, Data).Run(g);
        // The final round trains the ticket, so values moved; but the last rewind happened, and the mask is that of
        // magnitude pruning of trained weights: check the structure that must hold whatever training did.
        Assert.Equal(0.5, masks.Sparsity(), 2);
        var frozen = new PruningRecipe { Target = new PruningTarget { Sparsity = 0.5 }, Schedule = PruningSchedule.Lottery, Epochs = 3, Rounds = 2, Training = Options(lr: 0) with { WeightDecay = 0, Momentum = 0 } };
        var g2 = TinyModels.Mlp();
        var m2 = new PruningRunner(frozen, Data).Run(g2);
        foreach (var (name, m) in m2.Masks)
            for (int i = 0; i < m.Length; i++)
                Assert.Equal(m.Floats[i] == 0 ? 0f : input[name].Floats[i], g2.Initializers[name].Floats[i]);
    }

    [Fact]
    public void Fine_tuning_with_distillation_trains_and_keeps_the_masks()
    {
        var g = TinyModels.Mlp();
        var recipe = new PruningRecipe { Target = new PruningTarget { Sparsity = 0.5 }, Epochs = 2, Distill = true, Training = Options() };
        var masks = new PruningRunner(recipe, Data).Run(g);
        Assert.Equal(0.5, Sparsity(g), 2);
        Assert.Equal(0.5, masks.Sparsity(), 2);
    }

    [Fact]
    public void Bad_recipes_are_refused_with_the_reason()
    {
        Assert.Contains("at least one epoch", Assert.Throws<ArgumentException>(() =>
            new PruningRunner(new PruningRecipe { Schedule = PruningSchedule.Gradual }, Data)).Message);
        Assert.Contains("at least 4 epochs", Assert.Throws<ArgumentException>(() =>
            new PruningRunner(new PruningRecipe { Schedule = PruningSchedule.Lottery, Epochs = 2 }, Data)).Message);
        Assert.Contains("training data", Assert.Throws<ArgumentException>(() =>
            new PruningRunner(new PruningRecipe { Epochs = 1 }, null)).Message);
        Assert.Contains("magnitude", Assert.Throws<ArgumentException>(() =>
            new PruningRunner(new PruningRecipe { Schedule = PruningSchedule.Lottery, Epochs = 5, Importance = new RandomImportance(1) }, Data)).Message);
    }
}
