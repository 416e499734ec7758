using Prunus.Training;

namespace Prunus.Tests.Training;

public class ScheduleTests
{
    [Fact]
    public void Constant_is_the_base_rate()
    {
        var s = LrSchedule.Constant();
        Assert.Equal(0.1, s.RateAt(0.1, 0, 10));
        Assert.Equal(0.1, s.RateAt(0.1, 12345, 10));
    }

    [Fact]
    public void Step_decay_per_epoch_changes_only_between_epochs()
    {
        var s = LrSchedule.StepDecay(2, 0.1);
        // 10 steps per epoch: epochs 0-1 at the base rate, 2-3 at a tenth, 4 at a hundredth.
        Assert.Equal(1.0, s.RateAt(1, 0, 10));
        Assert.Equal(1.0, s.RateAt(1, 19, 10));
        Assert.Equal(0.1, s.RateAt(1, 20, 10), 1e-15);
        Assert.Equal(0.1, s.RateAt(1, 39, 10), 1e-15);
        Assert.Equal(0.01, s.RateAt(1, 40, 10), 1e-15);
    }

    [Fact]
    public void Step_decay_per_step()
    {
        var s = LrSchedule.StepDecay(3, 0.5, ScheduleUnit.Step);
        Assert.Equal(new[] { 1, 1, 1, 0.5, 0.5, 0.5, 0.25 }, Enumerable.Range(0, 7).Select(t => s.RateAt(1, t, 100)));
    }

    [Fact]
    public void Cosine_goes_from_base_to_floor()
    {
        var s = LrSchedule.Cosine(10, floor: 0.001, ScheduleUnit.Step);
        Assert.Equal(0.1, s.RateAt(0.1, 0, 1), 1e-15);
        Assert.Equal((0.1 + 0.001) / 2, s.RateAt(0.1, 5, 1), 1e-15);
        Assert.Equal(0.001 + 0.099 * (1 + Math.Cos(Math.PI * 0.3)) / 2, s.RateAt(0.1, 3, 1), 1e-15);
        Assert.Equal(0.001, s.RateAt(0.1, 10, 1));
        Assert.Equal(0.001, s.RateAt(0.1, 50, 1));
        var rates = Enumerable.Range(0, 11).Select(t => s.RateAt(0.1, t, 1)).ToArray();
        for (int t = 1; t < rates.Length; t++) Assert.True(rates[t] < rates[t - 1]);
    }

    [Fact]
    public void Cosine_per_epoch_holds_within_an_epoch()
    {
        var s = LrSchedule.Cosine(4);
        Assert.Equal(s.RateAt(1, 0, 5), s.RateAt(1, 4, 5));
        Assert.Equal(0.5, s.RateAt(1, 10, 5), 1e-15); // epoch 2 of 4: halfway
    }

    [Fact]
    public void Warmup_ramps_linearly_then_hands_over_with_shifted_time()
    {
        var s = new WarmupSchedule(4, LrSchedule.StepDecay(2, 0.1, ScheduleUnit.Step)) { Unit = ScheduleUnit.Step };
        var rates = Enumerable.Range(0, 9).Select(t => s.RateAt(1, t, 100)).ToArray();
        Assert.Equal(new[] { 0.25, 0.5, 0.75, 1.0, 1.0, 1.0, 0.1, 0.1, 0.01 }, rates.Select(r => Math.Round(r, 12)));
    }

    [Fact]
    public void Warmup_from_a_start_factor()
    {
        var s = new WarmupSchedule(2, LrSchedule.Constant(), startFactor: 0.5) { Unit = ScheduleUnit.Step };
        Assert.Equal(0.75, s.RateAt(1, 0, 1));
        Assert.Equal(1.0, s.RateAt(1, 1, 1));
        Assert.Equal(1.0, s.RateAt(1, 2, 1));
    }

    [Fact]
    public void Per_step_warmup_before_per_epoch_cosine()
    {
        // 5 warm-up steps, then a 2-epoch cosine whose epochs start counting after the warm-up.
        var s = new WarmupSchedule(5, LrSchedule.Cosine(2)) { Unit = ScheduleUnit.Step };
        Assert.Equal(0.2, s.RateAt(1, 0, 10), 1e-15);
        Assert.Equal(1.0, s.RateAt(1, 5, 10));
        Assert.Equal(1.0, s.RateAt(1, 14, 10));
        Assert.Equal(0.5, s.RateAt(1, 15, 10), 1e-15);
        Assert.Equal(0.0, s.RateAt(1, 25, 10), 1e-15);
    }

    [Fact]
    public void Equal_settings_compare_and_print_equal()
    {
        Assert.Equal(LrSchedule.Cosine(8, 0.001), LrSchedule.Cosine(8, 0.001));
        Assert.NotEqual(LrSchedule.Cosine(8, 0.001), LrSchedule.Cosine(8, 0.002));
        Assert.Equal(LrSchedule.Cosine(8).ToString(), LrSchedule.Cosine(8).ToString());
        Assert.NotEqual(LrSchedule.Cosine(8).ToString(), LrSchedule.Cosine(8, unit: ScheduleUnit.Step).ToString());
        Assert.NotEqual(new WarmupSchedule(1, LrSchedule.Cosine(8)).ToString(), new WarmupSchedule(1, LrSchedule.Cosine(9)).ToString());
    }

    [Fact]
    public void Bad_settings_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => LrSchedule.StepDecay(0, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => LrSchedule.Cosine(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new WarmupSchedule(-1, LrSchedule.Constant()));
        Assert.Throws<ArgumentOutOfRangeException>(() => LrSchedule.Constant().RateAt(1, 0, 0));
    }
}
