using System.CommandLine;
using System.Text.Json.Nodes;
using Prunus.Cli.Console;
using Prunus.Data;
using Prunus.Training;

namespace Prunus.Cli.Commands;

/// <summary>prunus eval MODEL.onnx: accuracy and loss on the Fashion-MNIST test set.</summary>
public sealed class EvalCommand : ICliCommand
{
    public Command Build(Func<Reporter> reporter)
    {
        var model = new Argument<string>("model") { Description = "ONNX model file (input [N,1,28,28] or [N,784], output logits [N,10])" };
        var data = CliOptions.Data();
        var threads = CliOptions.Threads();
        var batch = new Option<int>("--batch") { Description = "Images per forward pass", DefaultValueFactory = _ => 1000, HelpName = "n" };
        var cmd = new Command("eval", "Measure a model's accuracy and loss on the Fashion-MNIST test set") { model, data, threads, batch };
        cmd.SetAction(p => Run(reporter(), p.GetValue(model)!, p.GetValue(data), Check.AtLeast("--threads", p.GetValue(threads), 1), Check.AtLeast("--batch", p.GetValue(batch), 1)));
        return cmd;
    }

    private static int Run(Reporter r, string path, string? dataDir, int threads, int batch)
    {
        var graph = ModelFiles.Load(path);
        var files = FashionMnist.Locate(dataDir);
        var test = FashionMnist.LoadSet(files.TestImages, files.TestLabels);
        using var pool = new Threading.WorkerPool(threads);
        Evaluation eval;
        try { eval = ModelFiles.Naming(path, () => r.WithProgress("eval", progress => new Evaluator(graph, batch, pool).Evaluate(test))); }
        catch (DataException e)
        {
            // Data and model were each read fine, so the failure is about the two together: say which model and which images.
            throw new ModelException($"{Path.GetFileName(path)} does not fit the test set (images {test.Channels}x{test.Height}x{test.Width}, " +
                $"{test.ClassCount} classes): {e.Message}", e);
        }
        r.Table(Path.GetFileName(path), ["metric", "value"],
        [
            ["accuracy", eval.Accuracy.ToString("F4")],
            ["loss", eval.Loss.ToString("F4")],
            ["samples", eval.Count.ToString("N0")],
            ["seconds", eval.Seconds.ToString("F2")],
        ]);
        r.Result(new JsonObject { ["model"] = path, ["accuracy"] = eval.Accuracy, ["loss"] = eval.Loss, ["samples"] = eval.Count, ["seconds"] = eval.Seconds });
        return 0;
    }
}
