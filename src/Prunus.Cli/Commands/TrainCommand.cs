using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Prunus.Cli.Console;
using Prunus.Data;
using Prunus.Graph.Analysis;
using Prunus.Models;
using Prunus.Training;

namespace Prunus.Cli.Commands;

/// <summary>prunus train --model lenet5 ...: trains a zoo model on Fashion-MNIST, evaluates it, saves it as ONNX.</summary>
public sealed class TrainCommand : ICliCommand
{
    public Command Build(Func<Reporter> reporter)
    {
        var model = new Option<string>("--model") { Description = $"Model to train: {string.Join(", ", ModelZoo.Names)}", DefaultValueFactory = _ => "lenet5" };
        var data = CliOptions.Data();
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training set", DefaultValueFactory = _ => 8 };
        var batch = new Option<int>("--batch") { Description = "Images per step", DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 0.01 };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => 0.9 };
        var nesterov = new Option<bool>("--nesterov") { Description = "Nesterov momentum (SGD)" };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Weight decay", DefaultValueFactory = _ => 5e-4 };
        var optimizer = new Option<string>("--optimizer") { Description = "sgd, adam or adamw", DefaultValueFactory = _ => "sgd" };
        optimizer.AcceptOnlyFromAmong("sgd", "adam", "adamw");
        var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule: constant, cosine or step:EPOCHS:GAMMA", DefaultValueFactory = _ => "constant" };
        var warmup = new Option<int>("--warmup-epochs") { Description = "Linear warm-up epochs before the schedule", DefaultValueFactory = _ => 0 };
        var smoothing = new Option<double>("--label-smoothing") { Description = "Label smoothing in [0, 1)", DefaultValueFactory = _ => 0 };
        var augment = new Option<bool>("--augment") { Description = "Random crop (pad 2) and horizontal flip" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of weights, shuffling and augmentation", DefaultValueFactory = _ => 0 };
        var threads = CliOptions.Threads();
        var output = new Option<string>("--out") { Description = "Where to save the trained model (ONNX)", DefaultValueFactory = _ => "model.onnx" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Write a checkpoint here after every epoch" };
        var resume = new Option<bool>("--resume") { Description = "Continue from --checkpoint if it exists" };
        var limit = new Option<int>("--limit") { Description = "Train on the first N images only (0: all)", DefaultValueFactory = _ => 0 };
        var depth = new Option<int>("--depth") { Description = "ResNet depth (6n+2)", DefaultValueFactory = _ => 20 };
        var width = new Option<double>("--width") { Description = "Width multiplier (resnet, mobilenet)", DefaultValueFactory = _ => 1.0 };
        var activation = new Option<string>("--activation") { Description = "MobileNet activation: hardswish or relu6", DefaultValueFactory = _ => "hardswish" };
        var cmd = new Command("train", "Train a zoo model on Fashion-MNIST and save it as ONNX")
        {
            model, data, epochs, batch, lr, momentum, nesterov, weightDecay, optimizer, schedule, warmup, smoothing, augment,
            seed, threads, output, checkpoint, resume, limit, depth, width, activation,
        };
        cmd.SetAction(p =>
        {
            int e = Check.AtLeast("--epochs", p.GetValue(epochs), 0);
            var options = new TrainerOptions
            {
                Epochs = e,
                BatchSize = Check.AtLeast("--batch", p.GetValue(batch), 1),
                LearningRate = Check.InRange("--lr", p.GetValue(lr), 0, 100),
                Momentum = Check.InRange("--momentum", p.GetValue(momentum), 0, 1),
                Nesterov = p.GetValue(nesterov),
                WeightDecay = Check.InRange("--weight-decay", p.GetValue(weightDecay), 0, 1),
                Optimizer = p.GetValue(optimizer) switch { "adam" => OptimizerKind.Adam, "adamw" => OptimizerKind.AdamW, _ => OptimizerKind.Sgd },
                Schedule = ParseSchedule(p.GetValue(schedule)!, e, Check.AtLeast("--warmup-epochs", p.GetValue(warmup), 0)),
                LabelSmoothing = (float)Check.InRange("--label-smoothing", p.GetValue(smoothing), 0, 0.999),
                Augmentation = p.GetValue(augment) ? new Augmentation(2, true) : null,
                Seed = p.GetValue(seed),
                Threads = Check.AtLeast("--threads", p.GetValue(threads), 1),
                CheckpointPath = p.GetValue(checkpoint),
            };
            var zoo = new ZooOptions
            {
                Seed = p.GetValue(seed),
                Depth = p.GetValue(depth),
                Width = (float)Check.InRange("--width", p.GetValue(width), 0.05, 16),
                Activation = p.GetValue(activation)!,
            };
            if (p.GetValue(resume) && options.CheckpointPath is null) throw new UsageException("--resume needs --checkpoint FILE");
            return Run(reporter(), p.GetValue(model)!, zoo, options, p.GetValue(data), p.GetValue(output)!, p.GetValue(resume),
                Check.AtLeast("--limit", p.GetValue(limit), 0));
        });
        return cmd;
    }

    private static LrSchedule ParseSchedule(string text, int epochs, int warmupEpochs)
    {
        LrSchedule s = text switch
        {
            "constant" => LrSchedule.Constant(),
            "cosine" => LrSchedule.Cosine(Math.Max(1, epochs - warmupEpochs)),
            _ when text.StartsWith("step:", StringComparison.Ordinal) && text.Split(':') is [_, var size, var gamma]
                && int.TryParse(size, out var n) && n > 0 && double.TryParse(gamma, System.Globalization.CultureInfo.InvariantCulture, out var g) && g > 0
                => LrSchedule.StepDecay(n, g),
            _ => throw new UsageException($"--schedule '{text}' is not one of: constant, cosine, step:EPOCHS:GAMMA (e.g. step:3:0.1)"),
        };
        return warmupEpochs > 0 ? new WarmupSchedule(warmupEpochs, s) : s;
    }

    private static int Run(Reporter r, string modelName, ZooOptions zoo, TrainerOptions options, string? dataDir, string output, bool resume, int limit)
    {
        if (!ModelZoo.Names.Contains(modelName))
            throw new UsageException($"--model: unknown model '{modelName}'; choose one of: {string.Join(", ", ModelZoo.Names)}");
        var (train, test) = FashionMnist.Load(dataDir);
        if (limit > 0 && limit < train.Count) train = train.Slice(0, limit);
        var graph = ModelZoo.Create(modelName, zoo);
        var summary = ModelSummary.Of(graph);
        r.Line($"training {modelName} ({summary.Parameters:N0} parameters) on {train.Count:N0} images for {options.Epochs} epoch(s), batch {options.BatchSize}, {options.Threads} thread(s)");

        using var trainer = new Trainer(graph, train, options);
        if (resume && options.CheckpointPath is { } ck && File.Exists(ck))
        {
            trainer.LoadCheckpoint(ck);
            r.Line($"resumed from {ck} at epoch {trainer.Epoch + 1}, step {trainer.StepInEpoch}");
        }
        var wall = Stopwatch.StartNew();
        var result = r.WithProgress("train", progress =>
        {
            trainer.Progress = p =>
            {
                if (!p.EpochDone && p.Step % 20 != 0) return;
                double done = (p.Epoch + (double)p.Step / p.StepsPerEpoch) / Math.Max(1, p.Epochs);
                progress(done, $"epoch {p.Epoch + 1}/{p.Epochs} loss {p.Loss:F4} acc {p.Accuracy:F4} {p.ImagesPerSecond:N0} img/s");
            };
            return trainer.Run();
        });
        double seconds = wall.Elapsed.TotalSeconds;
        var eval = trainer.Evaluate(test);
        ModelFiles.Save(graph, output);

        double trainSeconds = result.Epochs.Sum(e => e.Seconds);
        long images = result.Epochs.Sum(e => (long)Math.Round(e.ImagesPerSecond * e.Seconds));
        double imagesPerSecond = trainSeconds > 0 ? images / trainSeconds : 0;
        double peakMb = Process.GetCurrentProcess().PeakWorkingSet64 / 1048576.0;
        r.Table($"{modelName} after {result.Epochs.Count} epoch(s)", ["epoch", "train loss", "train acc", "images/s", "seconds"],
            result.Epochs.Select(e => (IReadOnlyList<string>)[(e.Epoch + 1).ToString(), e.Loss.ToString("F4"), e.Accuracy.ToString("F4"), e.ImagesPerSecond.ToString("N0"), e.Seconds.ToString("F1")]));
        r.Table(null, ["result", "value"],
        [
            ["test accuracy", eval.Accuracy.ToString("F4")],
            ["test loss", eval.Loss.ToString("F4")],
            ["training images/s", imagesPerSecond.ToString("N0")],
            ["wall seconds", seconds.ToString("F1")],
            ["peak memory", $"{peakMb:F0} MB"],
            ["saved to", output],
        ]);
        r.Result(new JsonObject
        {
            ["model"] = modelName,
            ["accuracy"] = eval.Accuracy,
            ["loss"] = eval.Loss,
            ["samples"] = eval.Count,
            ["images_per_second"] = imagesPerSecond,
            ["seconds"] = seconds,
            ["epochs"] = new JsonArray(result.Epochs.Select(e => (JsonNode)new JsonObject
            {
                ["epoch"] = e.Epoch + 1,
                ["loss"] = e.Loss,
                ["accuracy"] = e.Accuracy,
                ["images_per_second"] = e.ImagesPerSecond,
                ["seconds"] = e.Seconds,
            }).ToArray()),
            ["params"] = summary.Parameters,
            ["peak_rss_mb"] = peakMb,
            ["out"] = output,
        });
        return 0;
    }
}
