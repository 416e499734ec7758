using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Import;

[Trait("Category", "Kernel")]
public class WhereTests
{
    private static Tensor Mask(int seed, params int[] shape)
    {
        var t = Tensor.Zeros(DataType.Bool, shape);
        var rng = new Random(seed);
        for (int i = 0; i < t.Length; i++) t.Span<bool>()[i] = rng.Next(2) == 0;
        return t;
    }

    [Theory]
    [MemberData(nameof(TypeData), MemberType = typeof(Shape.TestTensors))]
    public void Three_way_broadcast_for_every_type(DataType type)
    {
        // cond [2,1,3], X [1,4,1], Y [3]: output [2,4,3].
        var c = Mask(1, 2, 1, 3);
        var x = SeqOf(type, 1, 4, 1);
        var y = SeqOf(type, 3);
        var r = new OpCase("Where").Input(c).Input(x).Input(y).Run1();
        Assert.Equal([2, 4, 3], r.Shape);
        Assert.Equal(type, r.Type);
        var vx = Values(x);
        var vy = Values(y);
        var expected = new List<double>();
        for (int a = 0; a < 2; a++) for (int b = 0; b < 4; b++) for (int d = 0; d < 3; d++)
            expected.Add(c.Span<bool>()[a * 3 + d] ? vx[b] : vy[d]);
        Assert.Equal(expected, Values(r));
    }

    [Fact]
    public void Onnx_example()
    {
        var c = Tensor.From(new[] { true, false, true, true }, 2, 2);
        var r = new OpCase("Where").Input(c).Input(Tensor.From(new float[] { 1, 2, 3, 4 }, 2, 2)).Input(Tensor.From(new float[] { 9, 8, 7, 6 }, 2, 2)).Run1();
        Assert.Equal(new float[] { 1, 8, 3, 4 }, r.Floats.ToArray());
    }

    [Fact]
    public void Rejects_a_non_bool_condition_and_mixed_types()
    {
        Assert.Throws<ModelException>(() => new OpCase("Where").Input(Seq(2)).Input(Seq(2)).Input(Seq(2)).Run1());
        Assert.Throws<ModelException>(() => new OpCase("Where").Input(Mask(1, 2)).Input(Seq(2)).Input(Longs(1, 2)).Run1());
    }

    [Fact]
    public void Gradient_splits_between_x_and_y_with_broadcasting() =>
        GradCheck.Check(new OpCase("Where").Input(Mask(3, 3, 1, 4)).Input(TensorAssert.Random(4, -1, 1, 2, 1)).Input(TensorAssert.Random(5, -1, 1, 3, 2, 4)));

    [Fact]
    public void Select_kernel_matches_reference_on_odd_shapes()
    {
        int[] output = [3, 5, 7];
        int[][][] cases = [[[3, 5, 7], [3, 5, 7], [3, 5, 7]], [[5, 1], [3, 1, 7], [7]], [[1], [3, 5, 1], [1, 1, 7]], [[3, 1, 7], [1], [5, 7]]];
        foreach (var shapes in cases)
        {
            var layout = BroadcastLayout.Create(output, shapes);
            var c = Mask(7, shapes[0]).Span<bool>().ToArray();
            var x = Enumerable.Range(0, ShapeMath.Size(shapes[1])).Select(i => (long)i).ToArray();
            var y = Enumerable.Range(0, ShapeMath.Size(shapes[2])).Select(i => -(long)i - 1).ToArray();
            var fast = new long[105];
            var reference = new long[105];
            BroadcastLogic.Select<long>(layout, c, x, y, fast);
            BroadcastLogic.SelectReference<long>(layout, c, x, y, reference);
            Assert.Equal(reference, fast);
        }
    }
}
