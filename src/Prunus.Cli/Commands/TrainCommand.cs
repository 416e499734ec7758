using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Prunus.Cli.Console;
using Prunus.Data;
using Prunus.Graph;
using Prunus.Graph.Analysis;
using Prunus.Models;
using Prunus.Training;

namespace Prunus.Cli.Commands;

/// <summary>prunus train --model lenet5 ...: trains a zoo model on Fashion-MNIST, evaluates it, saves it as ONNX.</summary>
public sealed class TrainCommand : ICliCommand
{
    public Command Build(Func<Reporter> reporter)
    {
        var model = new Option<string>("--model") { Description = "Zoo model to train", DefaultValueFactory = _ => "lenet5" }
            .OneOf([.. ModelZoo.Names]);
        var data = CliOptions.Data();
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training set", DefaultValueFactory = _ => 8, HelpName = "n" };
        var batch = new Option<int>("--batch") { Description = "Images per training step", DefaultValueFactory = _ => 64, HelpName = "n" };
        var lr = new Option<double>("--lr") { Description = "Learning rate", DefaultValueFactory = _ => 0.01, HelpName = "rate" };
        var momentum = new Option<double>("--momentum") { Description = "SGD momentum", DefaultValueFactory = _ => 0.9, HelpName = "m" };
        var nesterov = new Option<bool>("--nesterov") { Description = "Use Nesterov momentum (sgd)" };
        var weightDecay = new Option<double>("--weight-decay") { Description = "Weight decay (L2 penalty; decoupled with adamw)", DefaultValueFactory = _ => 5e-4, HelpName = "wd" };
        var optimizer = new Option<string>("--optimizer") { Description = "Optimizer", DefaultValueFactory = _ => "sgd" }.OneOf("sgd", "adam", "adamw");
        var schedule = new Option<string>("--schedule") { Description = "Learning-rate schedule: constant, cosine, or step:EPOCHS:GAMMA (times GAMMA every EPOCHS epochs)", DefaultValueFactory = _ => "constant", HelpName = "name" };
        var warmup = new Option<int>("--warmup-epochs") { Description = "Epochs of linear learning-rate warm-up before the schedule", DefaultValueFactory = _ => 0, HelpName = "n" };
        var smoothing = new Option<double>("--label-smoothing") { Description = "Label smoothing, in [0, 1)", DefaultValueFactory = _ => 0, HelpName = "eps" };
        var augment = new Option<bool>("--augment") { Description = "Augment training images: random crop (padding 2) and horizontal flip" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the initial weights, the shuffling and the augmentation", DefaultValueFactory = _ => 0, HelpName = "n" };
        var threads = CliOptions.Threads();
        var output = new Option<string>("--out") { Description = "Where to save the trained model (ONNX)", DefaultValueFactory = _ => "model.onnx", HelpName = "file" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Write a checkpoint here after every epoch", HelpName = "file" };
        var resume = new Option<bool>("--resume") { Description = "Continue from the --checkpoint file if it exists" };
        var limit = new Option<int>("--limit") { Description = "Train on the first N images only (0: all of them)", DefaultValueFactory = _ => 0, HelpName = "n" };
        var depth = new Option<int>("--depth") { Description = "ResNet depth: 6n+2 layers (8, 14, 20, 32, ...)", DefaultValueFactory = _ => 20, HelpName = "n" };
        var width = new Option<double>("--width") { Description = "Channel width multiplier of resnet and mobilenet", DefaultValueFactory = _ => 1.0, HelpName = "x" };
        var activation = new Option<string>("--activation") { Description = "MobileNet activation", DefaultValueFactory = _ => "hardswish" }
            .OneOf("hardswish", "relu6");
        var cmd = new Command("train", "Train a zoo model on Fashion-MNIST, report its test accuracy and save it as ONNX")
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
        var files = FashionMnist.Locate(dataDir);
        (string, string)[] datasetFiles =
        [
            (files.TrainImages, "a dataset file"), (files.TrainLabels, "a dataset file"),
            (files.TestImages, "a dataset file"), (files.TestLabels, "a dataset file"),
        ];
        // Checked before any work: a long training run must not end in a save that fails or replaces an input.
        if (options.CheckpointPath is { } checkpointPath)
        {
            OutputPaths.CheckFile("--checkpoint", checkpointPath, datasetFiles);
            OutputPaths.CheckFile("--out", output, [.. datasetFiles, (checkpointPath, "the --checkpoint file")]);
        }
        else OutputPaths.CheckFile("--out", output, datasetFiles);

        var train = FashionMnist.LoadSet(files.TrainImages, files.TrainLabels);
        var test = FashionMnist.LoadSet(files.TestImages, files.TestLabels);
        if (limit > 0 && limit < train.Count) train = train.Slice(0, limit);
        // The model is built for the images at hand (an MNIST-style dataset of another size works too).
        zoo = zoo with { Channels = train.Channels, Height = train.Height, ImageWidth = train.Width, Classes = train.ClassCount };
        ModelGraph graph;
        try { graph = ModelZoo.Create(modelName, zoo); }
        catch (ArgumentException e) { throw new UsageException($"--model {modelName}: {e.Message}"); }
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
                if (!p.EpochDone && p.Step != 1 && p.Step % 20 != 0) return; // the reporter thins these out further
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
