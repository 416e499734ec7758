using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Kernels;

[Trait("Category", "Kernel")]
public class DataMovementTests
{
    /// <summary>Walks over a source of <paramref name="n"/>·3 elements: reversed, transposed, strided, sliced.</summary>
    private static IEnumerable<(int Offset, int[] Shape, int[] Strides)> Walks(int n)
    {
        yield return (3 * n - 1, [3 * n], [-1]);
        yield return (0, [3, n], [1, 3]);
        yield return (0, [n, 3], [3, 1]);
        yield return (1, [n, 2], [3, 1]);
        yield return (n == 0 ? 0 : 3 * n - 1, [n, 3], [-3, -1]);
        yield return (0, [(n + 1) / 2, 3], [6, 1]);
    }

    [Theory]
    [MemberData(nameof(TensorAssert.SizeData), MemberType = typeof(TensorAssert))]
    public void Gather_and_scatter_match_reference(int n)
    {
        var src = TensorAssert.Random(n, -1, 1, 3 * n).Floats.ToArray();
        foreach (var (offset, shape, strides) in Walks(n))
        {
            int length = ShapeMath.Size(shape);
            var (cs, cst) = DataMovement.Coalesce(shape, strides);
            var fast = new float[length];
            var reference = new float[length];
            DataMovement.Gather<float>(src, offset, cs, cst, fast);
            DataMovement.GatherReference<float>(src, offset, shape, strides, reference);
            Assert.Equal(reference, fast);

            var dst = TensorAssert.Random(n + 1, -1, 1, 3 * n).Floats.ToArray();
            var dstRef = (float[])dst.Clone();
            DataMovement.ScatterAdd(reference, dst, offset, cs, cst);
            DataMovement.ScatterAddReference(reference, dstRef, offset, shape, strides);
            Assert.Equal(dstRef, dst);
        }
    }

    [Fact]
    public void Gather_reinterprets_every_element_width()
    {
        var bytes = Tensor.From(new byte[] { 1, 2, 3, 4, 5, 6 }, 2, 3);
        var longs = Tensor.From(new long[] { long.MinValue, 2, long.MaxValue, 4, 5, 6 }, 2, 3);
        var bools = Tensor.From(new[] { true, false, false, true, true, false }, 2, 3);
        foreach (var (t, expected) in new[] { (bytes, new double[] { 1, 4, 2, 5, 3, 6 }), (longs, new double[] { long.MinValue, 4, 2, 5, long.MaxValue, 6 }), (bools, new double[] { 1, 1, 0, 1, 0, 0 }) })
        {
            var dst = Tensor.Zeros(t.Type, 3, 2);
            DataMovement.Gather(t, 0, [3, 2], [1, 3], dst);
            Assert.Equal(expected, Enumerable.Range(0, 6).Select(dst.GetAsDouble).ToArray());
        }
    }

    [Fact]
    public void Coalesce_merges_contiguous_axes_and_drops_unit_axes()
    {
        var (s, st) = DataMovement.Coalesce([2, 1, 3, 4], [12, 99, 4, 1]);
        Assert.Equal([24], s);
        Assert.Equal([1], st);
        (s, st) = DataMovement.Coalesce([2, 3, 4], [4, 8, 1]);
        Assert.Equal([2, 3, 4], s);
        (s, st) = DataMovement.Coalesce([3, 4], [-4, -1]);
        Assert.Equal([12], s);
        Assert.Equal([-1], st);
    }
}
