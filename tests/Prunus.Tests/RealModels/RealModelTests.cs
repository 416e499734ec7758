using Prunus.Graph.Onnx;
using Prunus.Graph.Passes;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Xunit.Abstractions;

namespace Prunus.Tests.RealModels;

/// <summary>
/// Models exported by PyTorch's ONNX exporter (MobileNetV3-like, a feature pyramid with Resize, a transformer encoder
/// with and without LayerNormalization, and a model full of Shape/Gather/Range/Where chains; opsets 11, 13 and 17)
/// load in Prunus, plan at batch 1 and 3 through their dynamic batch axis, and give PyTorch's and ONNX Runtime's
/// outputs; so do they after graph optimization, and ONNX Runtime runs what Prunus writes of them with the same outputs.
/// </summary>
public sealed class RealModelTests(ITestOutputHelper output)
{
    public static TheoryData<string> Models()
    {
        var d = new TheoryData<string>();
        foreach (var m in RealModelFiles.Names) d.Add(m);
        return d;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Model_matches_pytorch_at_batch_1_and_3(string model)
    {
        var graph = RealModelFiles.Load(model);
        Assert.Equal("pytorch", graph.Metadata.ProducerName);
        foreach (var batch in RealModelFiles.Batches)
        {
            var actual = RealModelFiles.Prunus(graph, RealModelFiles.Inputs(model, batch));
            var expected = RealModelFiles.TorchOutputs(model, batch, graph.Outputs.Select(o => o.Name));
            if (batch > 1) RealModelFiles.AssertInputMatters(expected, model);
            double d = RealModelFiles.AssertClose(expected, actual, $"{model} batch {batch}, PyTorch vs. Prunus");
            output.WriteLine($"{model} batch {batch}: max |PyTorch - Prunus| / scale = {d:G3}");
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Shape_computations_fold_at_plan_time(string model)
    {
        // An integer or boolean value computed from shapes and constants alone (Shape, Gather, Range, masks of
        // aranges, Resize sizes, ...) is known once the input shape is: the planner computes it once, so no step of
        // the plan produces one. What runs is the float arithmetic and what reads it (h > 0 stays a step).
        var graph = RealModelFiles.Load(model);
        var input = RealModelFiles.Inputs(model, 3)["input"];
        var plan = Prunus.Graph.Planning.Planner.Compile(graph, new Dictionary<string, int[]> { ["input"] = input.Shape },
            new Prunus.Graph.Planning.PlanOptions { Pool = TestPools.Two });
        var shapeSteps = plan.Steps
            .Where(s => s.Node.OpType is "Shape" or "Size"
                || s.Kernel.Outputs.Any(o => o is not null && o.Type != DataType.Float32) && s.Kernel.Inputs.All(i => i is null || i.Type != DataType.Float32))
            .Select(s => $"{s.Node.OpType} '{s.Node.Name}'").ToList();
        Assert.True(plan.StepCount < graph.Nodes.Count || !graph.Nodes.Any(n => n.OpType == "Shape"), $"{model}: nothing folded");
        Assert.True(shapeSteps.Count == 0, $"{model}: steps left at run time: {string.Join(", ", shapeSteps)}");
        output.WriteLine($"{model}: {graph.Nodes.Count} nodes, {plan.StepCount} plan steps");
    }

    [OrtTheory]
    [MemberData(nameof(Models))]
    public void Model_matches_onnx_runtime_at_batch_1_and_3(string model)
    {
        var graph = RealModelFiles.Load(model);
        foreach (var batch in RealModelFiles.Batches)
        {
            var actual = RealModelFiles.Prunus(graph, RealModelFiles.Inputs(model, batch));
            double d = RealModelFiles.AssertClose(RealModelFiles.Ort(model, batch), actual, $"{model} batch {batch}");
            output.WriteLine($"{model} batch {batch}: max |ONNX Runtime - Prunus| / scale = {d:G3}");
        }
    }

    [OrtTheory]
    [MemberData(nameof(Models))]
    public void Optimized_model_matches_onnx_runtime(string model)
    {
        var graph = RealModelFiles.Load(model);
        var session = new Prunus.Graph.Planning.InferenceSession(graph, new() { Pool = TestPools.Two }, PassPipeline.ForInference);
        Assert.True(session.Optimization!.Changed, $"{model}: the passes found nothing to do");
        output.WriteLine($"{model}: {session.Optimization}");
        foreach (var batch in RealModelFiles.Batches)
        {
            var actual = session.Run(RealModelFiles.Inputs(model, batch));
            double d = RealModelFiles.AssertClose(RealModelFiles.Ort(model, batch), actual, $"{model} optimized, batch {batch}");
            output.WriteLine($"{model} optimized, batch {batch}: max |ONNX Runtime - Prunus| / scale = {d:G3}");
        }
    }

    [OrtTheory]
    [MemberData(nameof(Models))]
    public void Model_written_again_runs_in_onnx_runtime_with_the_same_outputs(string model)
    {
        var peer = OrtPeer.Get();
        var graph = RealModelFiles.Load(model);
        var inputs = RealModelFiles.Inputs(model, 3);
        var expected = RealModelFiles.Ort(model, 3);
        double d = RealModelFiles.AssertClose(expected, peer.Run(graph, inputs), $"{model} written again");
        // Optimized for export (folded constants, BatchNorm folded, LayerNorm and Gelu fused where the opset has them):
        // still standard ONNX that ONNX Runtime runs to the same outputs.
        var optimized = PassPipeline.ForExport.Optimize(graph);
        double e = RealModelFiles.AssertClose(expected, peer.Run(optimized, inputs), $"{model} optimized for export and written");
        output.WriteLine($"{model}: written again {d:G3}, optimized and written {e:G3} (max |difference| / scale); " +
                         $"{graph.Nodes.Count} -> {optimized.Nodes.Count} nodes");
    }
}
