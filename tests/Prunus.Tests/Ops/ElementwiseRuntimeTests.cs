using Prunus.Graph.Planning;
using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Prunus.Threading;
using static Prunus.Tests.Ops.ElementwiseTestData;

namespace Prunus.Tests.Ops;

/// <summary>Large tensors split across threads give the single-threaded results; steady-state runs allocate nothing.</summary>
[Trait("Category", "Kernel")]
public class ElementwiseRuntimeTests
{
    [Fact]
    public void Per_channel_Mul_on_two_threads_matches_the_references()
    {
        // [4,8,64,64] * [8,1,1]: 131072 elements, above the parallel threshold.
        int[] xShape = [4, 8, 64, 64], sShape = [8, 1, 1];
        var x = TensorAssert.Random(1, -1, 1, xShape);
        var s = TensorAssert.Random(2, -1, 1, sShape);
        var seed = TensorAssert.Random(3, -1, 1, xShape);
        var c = new OpCase("Mul").Input(x).Input(s);

        var layout = BroadcastLayout.Create(xShape, xShape, sShape);
        var expected = new float[layout.Length];
        Broadcast.MapReference<Elementwise.MulOp>(layout, x.Floats, s.Floats, expected);
        Assert.Equal(expected, c.Run1().Floats.ToArray());

        var two = Gradients(c, seed, TestPools.Two);
        var dx = new float[x.Length];
        Broadcast.AccumulateReference<Elementwise.MulGradOp>(BroadcastLayout.Create(xShape, xShape, sShape, sShape), s.Floats, s.Floats, seed.Floats, dx);
        Assert.Equal(dx, two["in0"].Floats.ToArray());
        var ds = new float[s.Length];
        Broadcast.AccumulateReference<Elementwise.MulGradOp>(BroadcastLayout.Create(xShape, sShape, xShape, xShape), x.Floats, x.Floats, seed.Floats, ds);
        TensorAssert.Close(ds, two["in1"].Floats, 1e-4, 1e-4);
    }

    [Theory]
    [InlineData("Add")]
    [InlineData("Max")]
    [InlineData("Div")]
    public void Same_shape_binary_ops_agree_on_one_and_two_threads(string op)
    {
        var a = TensorAssert.Random(4, 0.5f, 2, 300, 301);
        var b = TensorAssert.Random(5, 0.5f, 2, 300, 301);
        var seed = TensorAssert.Random(6, -1, 1, 300, 301);
        var c = new OpCase(op).Input(a).Input(b);
        var one = Gradients(c, seed, TestPools.One);
        var two = Gradients(c, seed, TestPools.Two);
        Assert.Equal(one["in0"].Floats.ToArray(), two["in0"].Floats.ToArray());
        Assert.Equal(one["in1"].Floats.ToArray(), two["in1"].Floats.ToArray());
    }

    [Theory]
    [InlineData("Sigmoid")]
    [InlineData("Gelu")]
    [InlineData("Exp")]
    public void Unary_ops_agree_on_one_and_two_threads(string op)
    {
        var x = TensorAssert.Random(7, -3, 3, 70001);
        var seed = TensorAssert.Random(8, -1, 1, 70001);
        var c = new OpCase(op).Input(x);
        var one = c.Compile(new PlanOptions { Pool = TestPools.One });
        one.Run();
        Assert.Equal(one.Output(0).Floats.ToArray(), c.Run1().Floats.ToArray());
        Assert.Equal(Gradients(c, seed, TestPools.One)["in0"].Floats.ToArray(), Gradients(c, seed, TestPools.Two)["in0"].Floats.ToArray());
    }

    [Fact]
    public void A_per_channel_scale_and_bias_train_as_parameters()
    {
        // y = x * w + b with w, b [C,1,1] initializers: a training plan treats them as parameters and sums their
        // gradients over N, H and W.
        var x = TensorAssert.Random(1, -1, 1, 2, 3, 2, 2);
        var w = TensorAssert.Random(2, -1, 1, 3, 1, 1);
        var b = TensorAssert.Random(3, -1, 1, 3, 1, 1);
        var graph = new Prunus.Graph.ModelGraph { Name = "affine" };
        graph.Metadata.Opsets[""] = 17;
        graph.Nodes.Add(new Prunus.Graph.Node("Mul", "mul", ["x", "w"], ["xw"]));
        graph.Nodes.Add(new Prunus.Graph.Node("Add", "add", ["xw", "b"], ["y"]));
        graph.Inputs.Add(new Prunus.Graph.ValueInfo("x", DataType.Float32, [2, 3, 2, 2]));
        graph.Initializers["w"] = w;
        graph.Initializers["b"] = b;
        graph.Outputs.Add(new Prunus.Graph.ValueInfo("y", DataType.Float32, null));
        var plan = Planner.Compile(graph, new Dictionary<string, int[]> { ["x"] = [2, 3, 2, 2] }, new PlanOptions { Training = true, Pool = TestPools.One });
        Assert.Equal(new[] { "w", "b" }, plan.Parameters);
        plan.Input("x").CopyFrom(x);
        plan.Run();
        plan.OutputGradient(0).Floats.Fill(1);
        plan.Backward();
        for (int c = 0; c < 3; c++)
        {
            float sx = 0;
            for (int n = 0; n < 2; n++)
                for (int i = 0; i < 4; i++) sx += x.Floats[(n * 3 + c) * 4 + i];
            Assert.Equal(sx, plan.Gradient("w").Floats[c], 5);
            Assert.Equal(8f, plan.Gradient("b").Floats[c]);
        }
    }

    public static TheoryData<string> SteadyStateCases() =>
        ["Add same", "Mul per-channel", "Sub trailing", "Div scalar", "Sigmoid", "Clip", "PRelu", "Max3", "Pow"];

    [Theory]
    [MemberData(nameof(SteadyStateCases))]
    public void Forward_and_backward_allocate_nothing_after_the_first_run(string name)
    {
        var c = name switch
        {
            "Add same" => new OpCase("Add").Input(TensorAssert.Random(1, -1, 1, 8, 16, 9)).Input(TensorAssert.Random(2, -1, 1, 8, 16, 9)),
            "Mul per-channel" => new OpCase("Mul").Input(TensorAssert.Random(1, -1, 1, 2, 16, 7, 7)).Input(TensorAssert.Random(2, -1, 1, 16, 1, 1)),
            "Sub trailing" => new OpCase("Sub").Input(TensorAssert.Random(1, -1, 1, 32, 10)).Input(TensorAssert.Random(2, -1, 1, 10)),
            "Div scalar" => new OpCase("Div").Input(TensorAssert.Random(1, -1, 1, 300)).Input(Tensor.Scalar(3f)),
            "Sigmoid" => new OpCase("Sigmoid").Input(TensorAssert.Random(1, -1, 1, 1000)),
            "Clip" => new OpCase("Clip").Input(TensorAssert.Random(1, -1, 1, 1000)).Const(Tensor.Scalar(0f)).Input(Tensor.Scalar(0.5f)).WithOpset(13),
            "PRelu" => new OpCase("PRelu").Input(TensorAssert.Random(1, -1, 1, 2, 4, 5, 5)).Input(TensorAssert.Random(2, 0, 1, 4, 1, 1)),
            "Max3" => new OpCase("Max").Input(TensorAssert.Random(1, -1, 1, 6, 7)).Input(TensorAssert.Random(2, -1, 1, 7)).Input(TensorAssert.Random(3, -1, 1, 6, 1)),
            _ => new OpCase("Pow").Input(TensorAssert.Random(1, 0.5f, 2, 40)).Input(Tensor.Scalar(2f)),
        };
        var wrt = c.Inputs.Where(i => !i.Constant).Select(i => i.Name).ToHashSet();
        foreach (var pool in new WorkerPool[] { TestPools.One, TestPools.Two })
        {
            var plan = c.Compile(new PlanOptions { InputGradients = wrt, Pool = pool });
            plan.OutputGradient(0).Floats.Fill(1);
            for (int i = 0; i < 2; i++) { plan.Run(); plan.Backward(); }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 5; i++) { plan.Run(); plan.Backward(); }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    }
}
