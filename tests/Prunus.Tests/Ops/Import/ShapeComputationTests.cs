using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Import;

/// <summary>Size, ConstantOfShape and Range, and the int64 shape computations of exported models folding at plan time.</summary>
public class ShapeComputationTests
{
    [Fact]
    public void Size_is_an_int64_scalar_folded_at_plan_time()
    {
        var plan = new OpCase("Size").Input(Seq(2, 3, 4)).Compile();
        Assert.Equal(0, plan.StepCount);
        var y = plan.Output(0);
        Assert.Equal(DataType.Int64, y.Type);
        Assert.Empty(y.Shape);
        Assert.Equal(24L, y.Span<long>()[0]);
    }

    [Fact]
    public void ConstantOfShape_fills_with_the_value_and_its_type()
    {
        var y = new OpCase("ConstantOfShape").Const(Longs(2, 3)).Attr("value", Prunus.Graph.AttributeValue.Of(Tensor.From(new long[] { 7 }, 1))).Run1();
        Assert.Equal(DataType.Int64, y.Type);
        Assert.Equal([2, 3], y.Shape);
        Assert.All(y.Span<long>().ToArray(), v => Assert.Equal(7L, v));

        var zeros = new OpCase("ConstantOfShape").Const(Longs(4)).Run1();
        Assert.Equal(DataType.Float32, zeros.Type);
        Assert.Equal(new float[4], zeros.Floats.ToArray());

        var scalar = new OpCase("ConstantOfShape").Const(Tensor.Zeros(DataType.Int64, 0)).Attr("value", AttributeValue.Of(Tensor.From(new[] { true }, 1))).Run1();
        Assert.Empty(scalar.Shape);
        Assert.True(scalar.Span<bool>()[0]);

        var empty = new OpCase("ConstantOfShape").Const(Longs(3, 0)).Run1();
        Assert.Equal([3, 0], empty.Shape);
    }

    [Fact]
    public void ConstantOfShape_needs_a_known_int64_shape()
    {
        Assert.Throws<ModelException>(() => new OpCase("ConstantOfShape").Input(Longs(2, 3)).Run1());
        Assert.Throws<ModelException>(() => new OpCase("ConstantOfShape").Const(Longs(2, -1)).Run1());
        Assert.Throws<ModelException>(() => new OpCase("ConstantOfShape").Const(Tensor.From(new[] { 2, 3 }, 2)).Run1());
    }

    [Theory]
    [InlineData(0L, 10L, 3L, new long[] { 0, 3, 6, 9 })]
    [InlineData(10L, 4L, -3L, new long[] { 10, 7 })]
    [InlineData(5L, 1L, 1L, new long[0])]
    [InlineData(-3L, 3L, 2L, new long[] { -3, -1, 1 })]
    [InlineData(long.MinValue, long.MinValue + 2, 1L, new long[] { long.MinValue, long.MinValue + 1 })]
    public void Range_of_int64(long start, long limit, long delta, long[] expected)
    {
        var y = new OpCase("Range").Const(Tensor.Scalar(start)).Const(Tensor.Scalar(limit)).Const(Tensor.Scalar(delta)).Run1();
        Assert.Equal(expected, y.Span<long>().ToArray());
    }

    [Fact]
    public void Range_of_int32_and_floats()
    {
        var i = new OpCase("Range").Const(Tensor.Scalar(10)).Const(Tensor.Scalar(4)).Const(Tensor.Scalar(-3)).Run1();
        Assert.Equal(new[] { 10, 7 }, i.Span<int>().ToArray());
        var f = new OpCase("Range").Const(Tensor.Scalar(1f)).Const(Tensor.Scalar(2f)).Const(Tensor.Scalar(0.3f)).Run1();
        TensorAssert.Close(new[] { 1f, 1.3f, 1.6f, 1.9f }, f.Floats, 1e-6);
        var d = new OpCase("Range").Const(Tensor.Scalar(0.0)).Const(Tensor.Scalar(-1.0)).Const(Tensor.Scalar(-0.5)).Run1();
        Assert.Equal(new[] { 0.0, -0.5 }, d.Span<double>().ToArray());
    }

    [Fact]
    public void Range_needs_known_scalars_of_one_type()
    {
        var e = Assert.Throws<ModelException>(() => new OpCase("Range").Input(Tensor.Scalar(0L)).Const(Tensor.Scalar(4L)).Const(Tensor.Scalar(1L)).Run1());
        Assert.Contains("constant", e.Message);
        Assert.Throws<ModelException>(() => new OpCase("Range").Const(Tensor.Scalar(0L)).Const(Tensor.Scalar(4L)).Const(Tensor.Scalar(0L)).Run1());
        Assert.Throws<ModelException>(() => new OpCase("Range").Const(Tensor.Scalar(0L)).Const(Tensor.Scalar(4)).Const(Tensor.Scalar(1L)).Run1());
    }

    /// <summary>A graph of the given nodes (op, inputs, output, attributes) over one float input x and int64 initializers.</summary>
    private static ModelGraph Graph(int[] xShape, Dictionary<string, Tensor> constants, params (string Op, string[] Inputs, string Output, AttributeValue? Value)[] nodes)
    {
        var g = new ModelGraph { Name = "shapes" };
        g.Inputs.Add(new ValueInfo("x", DataType.Float32, xShape.Select(d => (Dim)d).ToArray()));
        foreach (var (name, t) in constants) g.Initializers[name] = t;
        foreach (var (op, inputs, output, value) in nodes)
        {
            var node = new Node(op, output, inputs, [output]);
            if (value is not null) node.Attributes["value"] = value;
            g.Nodes.Add(node);
        }
        g.Outputs.Add(new ValueInfo(nodes[^1].Output, DataType.Float32, null));
        return g;
    }

    [Fact]
    public void Exported_shape_logic_folds_to_constants()
    {
        // x [2,3,5]: n = Shape(x)[-1]; r = Range(0, n, 1); w = Where(r == 2, -1, r); y = w + ConstantOfShape(Shape(w), 1).
        var g = Graph([2, 3, 5], new() { ["last"] = Tensor.Scalar(-1L), ["zero"] = Tensor.Scalar(0L), ["one"] = Tensor.Scalar(1L),
                ["two"] = Tensor.Scalar(2L), ["minus"] = Longs(-1) },
            ("Shape", ["x"], "shape", null),
            ("Gather", ["shape", "last"], "n", null),
            ("Range", ["zero", "n", "one"], "r", null),
            ("Equal", ["r", "two"], "eq", null),
            ("Where", ["eq", "minus", "r"], "w", null),
            ("Shape", ["w"], "wshape", null),
            ("ConstantOfShape", ["wshape"], "ones", AttributeValue.Of(Longs(1))),
            ("Add", ["w", "ones"], "y", null));
        var plan = Planner.Compile(g, [2, 3, 5]);
        Assert.Equal(0, plan.StepCount);
        Assert.Equal(new long[] { 1, 2, 0, 4, 5 }, plan.Output(0).Span<long>().ToArray());
    }

    [Fact]
    public void Expand_by_a_folded_shape_keeps_only_the_expand()
    {
        // The exporter pattern: Where(shape == -1, 1, shape) replaces "keep" dims by 1 before Expand.
        var g = Graph([3, 1], new() { ["target"] = Longs(-1, 4), ["minus"] = Tensor.Scalar(-1L), ["one"] = Tensor.Scalar(1L) },
            ("Equal", ["target", "minus"], "keep", null),
            ("Where", ["keep", "one", "target"], "dims", null),
            ("Expand", ["x", "dims"], "y", null));
        var plan = Planner.Compile(g, [3, 1]);
        Assert.Equal(1, plan.StepCount);
        plan.Input(0).CopyFrom(Seq(3, 1));
        plan.Run();
        Assert.Equal([3, 4], plan.Output(0).Shape);
        Assert.Equal(new float[] { 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2 }, plan.Output(0).Floats.ToArray());
    }
}
