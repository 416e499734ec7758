using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops;

/// <summary>Neg on the integer and double types that shape arithmetic of exported models uses.</summary>
[Trait("Category", "Kernel")]
public class NegIntegerTests
{
    [Fact]
    public void Negates_int64_int32_int8_and_double()
    {
        Assert.Equal(new long[] { -3, 0, 7 }, new OpCase("Neg").Input(Tensor.From(new long[] { 3, 0, -7 }, 3)).Run1().ToInt64Array());
        Assert.Equal(new[] { -3, 5 }, new OpCase("Neg").Input(Tensor.From(new[] { 3, -5 }, 2)).Run1().Span<int>().ToArray());
        Assert.Equal(new sbyte[] { -3, 5 }, new OpCase("Neg").Input(Tensor.From(new sbyte[] { 3, -5 }, 2)).Run1().Span<sbyte>().ToArray());
        Assert.Equal(new[] { -1.5, 2 }, new OpCase("Neg").Input(Tensor.From(new[] { 1.5, -2 }, 2)).Run1().Span<double>().ToArray());
    }

    [Fact]
    public void A_negated_axis_folds_at_plan_time_into_a_slice()
    {
        // x[:, -n:] with n read from the shape: Shape -> Gather -> Neg (int64) -> Slice starts, as exporters write it.
        var g = new Prunus.Graph.ModelGraph();
        g.Inputs.Add(new Prunus.Graph.ValueInfo("x", DataType.Float32, [2, 5]));
        g.Outputs.Add(new Prunus.Graph.ValueInfo("y", DataType.Float32, null));
        g.Initializers["one"] = Tensor.From(new long[] { 1 }, 1);
        g.Initializers["big"] = Tensor.From(new long[] { long.MaxValue }, 1);
        g.Initializers["two"] = Tensor.From(new long[] { 2 }, 1);
        g.Nodes.Add(new Prunus.Graph.Node("Shape", "shape", ["x"], ["s"]));
        g.Nodes.Add(new Prunus.Graph.Node("Gather", "n", ["s", "one"], ["n"]));        // [5]
        g.Nodes.Add(new Prunus.Graph.Node("Div", "half", ["n", "two"], ["h"]));         // [2]
        g.Nodes.Add(new Prunus.Graph.Node("Neg", "neg", ["h"], ["start"]));            // [-2]
        g.Nodes.Add(new Prunus.Graph.Node("Slice", "slice", ["x", "start", "big", "one"], ["y"]));
        var x = TensorAssert.Random(1, -1, 1, 2, 5);
        var y = new Prunus.Graph.Planning.InferenceSession(g).Run(x);
        Assert.Equal(new[] { 2, 2 }, y.Shape);
        Assert.Equal(new[] { x.Floats[3], x.Floats[4], x.Floats[8], x.Floats[9] }, y.Floats.ToArray());
    }
}
