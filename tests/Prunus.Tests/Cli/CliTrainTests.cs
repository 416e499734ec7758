using Prunus.Graph.Analysis;
using Prunus.Graph.Onnx;
using Prunus.Models;

namespace Prunus.Tests.Cli;

public sealed class CliTrainTests(CliWorkspace ws) : IClassFixture<CliWorkspace>
{
    private CliResult Train(string model, string data, string output, params string[] more) =>
        Cli.Run(["train", "--model", model, "--data", data, "--epochs", "1", "--limit", "128", "--batch", "32", "--threads", "1",
            "--out", output, .. more]);

    [Theory]
    [InlineData("mlp", true)]
    [InlineData("lenet5", false)]
    public void Train_json_gives_one_object_and_a_model_that_loads_back(string model, bool gzip)
    {
        var data = gzip ? ws.DataGz : ws.DataRaw;
        var before = Cli.Hashes(data);
        var output = Path.Combine(ws.NewFolder(), "nested", $"{model}.onnx");
        var r = Train(model, data, output, "--json");
        var json = r.Json();

        double accuracy = json.GetProperty("accuracy").GetDouble();
        Assert.InRange(accuracy, 0, 1);
        Assert.True(json.GetProperty("loss").GetDouble() > 0);
        Assert.True(json.GetProperty("images_per_second").GetDouble() > 0);
        Assert.True(json.GetProperty("seconds").GetDouble() > 0);
        Assert.Equal(128, json.GetProperty("samples").GetInt32());
        Assert.Equal(1, json.GetProperty("epochs").GetArrayLength());
        Assert.Equal(output, json.GetProperty("out").GetString());

        // Progress and messages went to stderr as plain lines, not to stdout.
        Assert.Contains("train:", r.Err);
        Assert.Contains($"training {model}", r.Err);
        Assert.DoesNotContain("\u001b[", r.Err);

        var loaded = OnnxReader.Load(output);
        long zooParams = ModelSummary.Of(ModelZoo.Create(model)).Parameters;
        Assert.Equal(zooParams, ModelSummary.Of(loaded).Parameters);
        Assert.Equal(zooParams, json.GetProperty("params").GetInt64());
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(output)!, "*.tmp"));
        Assert.Equal(before, Cli.Hashes(data));

        // The saved model is the trained one: eval on the same test set reproduces the reported accuracy.
        var eval = Cli.Run("eval", output, "--data", data, "--threads", "1", "--json").Json();
        Assert.Equal(accuracy, eval.GetProperty("accuracy").GetDouble(), 12);
    }

    [Fact]
    public void Train_human_mode_prints_the_epoch_and_result_tables()
    {
        var output = Path.Combine(ws.NewFolder(), "mlp.onnx");
        var r = Train("mlp", ws.DataGz, output);
        Assert.True(r.Code == 0, r.Describe());
        Assert.StartsWith("training mlp (266,610 parameters) on 128 images for 1 epoch(s), batch 32, 1 thread(s)", r.Out);
        foreach (var s in new[] { "mlp after 1 epoch(s)", "train loss", "train acc", "images/s", "test accuracy", "test loss",
                     "training images/s", "wall seconds", "peak memory", "saved to", output })
            Assert.Contains(s, r.Out);
        Assert.DoesNotContain("{", r.Out);
        // Redirected output gets plain progress lines on stderr, no terminal escapes.
        Assert.Contains("train: 100%", r.Err);
        Assert.DoesNotContain("\u001b[", r.Out + r.Err);
        Assert.True(File.Exists(output));
    }

    [Fact]
    public void The_synthetic_pattern_is_learned()
    {
        var output = Path.Combine(ws.NewFolder(), "mlp.onnx");
        var json = Cli.Run("train", "--model", "mlp", "--data", ws.DataGz, "--epochs", "3", "--batch", "16", "--threads", "1",
            "--out", output, "--json").Json();
        Assert.True(json.GetProperty("accuracy").GetDouble() > 0.5, $"accuracy {json.GetProperty("accuracy")}");
    }

    [Fact]
    public void Checkpoint_and_resume_continue_training()
    {
        var dir = ws.NewFolder();
        var ck = Path.Combine(dir, "run.ckpt");
        var output = Path.Combine(dir, "mlp.onnx");
        var first = Train("mlp", ws.DataGz, output, "--checkpoint", ck, "--json").Json();
        Assert.True(File.Exists(ck));
        var r = Cli.Run("train", "--model", "mlp", "--data", ws.DataGz, "--epochs", "2", "--limit", "128", "--batch", "32",
            "--threads", "1", "--out", output, "--checkpoint", ck, "--resume", "--json");
        var second = r.Json();
        Assert.Contains("resumed from", r.Err);
        // Only the second epoch ran; the first came from the checkpoint.
        Assert.Equal(1, second.GetProperty("epochs").GetArrayLength());
        Assert.Equal(2, second.GetProperty("epochs")[0].GetProperty("epoch").GetInt32());
        Assert.NotEqual(first.GetProperty("loss").GetDouble(), second.GetProperty("loss").GetDouble());
    }
}
