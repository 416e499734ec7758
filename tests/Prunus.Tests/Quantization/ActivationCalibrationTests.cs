using Prunus.Graph.Planning;
using Prunus.Pruning;
using Prunus.Quantization.Calibration;
using Prunus.Quantization.Observers;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Pruning.PruningFixtures;

namespace Prunus.Tests.Quantization;

public sealed class ActivationCalibrationTests
{
    [Fact]
    public void Observers_see_every_calibration_image_of_every_watched_tensor()
    {
        var graph = GemmModel();
        var data = RandomImages(10, 1, 1, 6);
        var relu = graph.Nodes.Single(n => n.OpType == "Relu").Outputs[0];
        // 10 images in batches of 4: the last batch holds 2.
        var observers = ActivationCalibration.Collect(graph, ["x", relu, "logits"], data, _ => new MinMaxObserver(),
            new CalibrationOptions { Images = 10, BatchSize = 4, Pool = TestPools.Two });

        var plan = Planner.Compile(graph, new Dictionary<string, int[]> { ["x"] = [10, 1, 1, 6] },
            new PlanOptions { KeepValues = new HashSet<string> { relu }, Pool = TestPools.Two });
        var order = Enumerable.Range(0, 10).ToArray();
        data.FillBatch(order, 0, 10, plan.Input(0), new int[10]);
        plan.Run();
        foreach (var (name, tensor) in new[] { ("x", plan.Input(0)), (relu, plan.Value(relu)!), ("logits", plan.Output(0)) })
        {
            var o = observers[name];
            Assert.Equal(tensor.Length, o.Count);
            Assert.Equal(3, o.Batches);
            Assert.Equal(tensor.Floats.ToArray().Min(), o.Min, 5);
            Assert.Equal(tensor.Floats.ToArray().Max(), o.Max, 5);
        }
        Assert.True(observers[relu].Min >= 0);
    }

    [Fact]
    public void Unknown_tensors_and_empty_data_are_refused()
    {
        var graph = GemmModel();
        var data = RandomImages(4, 1, 1, 6);
        Assert.Contains("'nope'", Assert.Throws<ArgumentException>(() =>
            ActivationCalibration.Collect(graph, ["nope"], data, _ => new MinMaxObserver())).Message);
        var empty = new Prunus.Data.ImageDataset([], [], 1, 1, 6, 3);
        Assert.Throws<DataException>(() => ActivationCalibration.Collect(graph, ["x"], empty, _ => new MinMaxObserver()));
        _ = Tensor.Zeros(1);
    }
}
