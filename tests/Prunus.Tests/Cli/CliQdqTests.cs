using Prunus.Graph.Planning;
using Prunus.IO;
using Prunus.Tensors;
using Prunus.Tests.Ops.Quantization;
using Prunus.Tests.Support;

namespace Prunus.Tests.Cli;

/// <summary>prunus run and prunus bench on a QDQ model (quantized weights, QuantizeLinear/DequantizeLinear pairs).</summary>
public sealed class CliQdqTests(CliWorkspace ws) : IClassFixture<CliWorkspace>
{
    [Fact]
    public void Run_and_bench_a_qdq_model()
    {
        var graph = QdqGraphs.QdqLinear();
        var model = ws.Save(graph, "qdq-linear.onnx");
        var x = TensorAssert.Random(6, -2, 2, 3, 4);
        var input = ws.WriteNpy("qdq-x.npy", x);
        var dir = ws.NewFolder();
        Cli.Run("run", model, "--input", input, "--output-dir", dir, "--json").Json();
        var y = Npy.Read(Path.Combine(dir, "y.npy"));

        var plan = Planner.Compile(graph, x.Shape);
        plan.Input("x").CopyFrom(x);
        plan.Run();
        Assert.Equal(plan.Output(0).Floats.ToArray(), y.Floats.ToArray());
        Assert.Contains(y.Floats.ToArray(), v => v > 0);

        var bench = Cli.Run("bench", model, "--batch", "2", "--seconds", "0.02", "--warmup", "1", "--threads", "1", "--json").Json();
        Assert.True(bench.GetProperty("results")[0].GetProperty("median_ms").GetDouble() > 0);
    }
}
