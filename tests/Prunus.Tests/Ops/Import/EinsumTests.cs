using Prunus.Graph;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Import;

[Trait("Category", "Kernel")]
public class EinsumTests
{
    /// <summary>
    /// Plain Einsum for explicit equations of letters: every assignment of every label visited once, the product of
    /// the operands added (in double) into the output element it names.
    /// </summary>
    private static double[] Reference(string equation, int[] outShape, params (double[] Data, int[] Shape)[] operands)
    {
        var sides = equation.Split("->");
        var terms = sides[0].Split(',');
        var output = sides[1];
        var extents = new Dictionary<char, int>();
        for (int t = 0; t < terms.Length; t++)
            for (int a = 0; a < terms[t].Length; a++)
                extents[terms[t][a]] = Math.Max(extents.GetValueOrDefault(terms[t][a], 1), operands[t].Shape[a]);
        var labels = extents.Keys.ToArray();
        var y = new double[ShapeMath.Size(outShape)];
        var value = new Dictionary<char, int>();
        int total = labels.Aggregate(1, (p, l) => p * extents[l]);
        for (int flat = 0; flat < total; flat++)
        {
            int rem = flat;
            foreach (var l in labels) { value[l] = rem % extents[l]; rem /= extents[l]; }
            double product = 1;
            for (int t = 0; t < terms.Length; t++)
            {
                int at = 0;
                for (int a = 0; a < terms[t].Length; a++)
                    at = at * operands[t].Shape[a] + (operands[t].Shape[a] == 1 ? 0 : value[terms[t][a]]);
                product *= operands[t].Data[at];
            }
            int o = 0;
            foreach (var l in output) o = o * extents[l] + value[l];
            y[o] += product;
        }
        return y;
    }

    public static TheoryData<string, int[], int[]> Products() => new()
    {
        { "bij,bjk->bik", [2, 3, 4], [2, 4, 5] },
        { "bhqd,bhkd->bhqk", [2, 3, 4, 5], [2, 3, 6, 5] },
        { "ij,jk->ik", [3, 4], [4, 5] },
        { "ij,kj->ik", [3, 4], [5, 4] },
        { "ji,jk->ik", [4, 3], [4, 5] },
        { "ji,kj->ki", [4, 3], [5, 4] },
        { "i,j->ij", [3], [4] },
        { "i,i->", [7], [7] },
        { "bi,bi->b", [3, 5], [3, 5] },
        { "abc,cd->dba", [2, 3, 4], [4, 5] },
        { "ij,jk->i", [3, 4], [4, 5] },
        { "bij,j->bi", [2, 3, 4], [4] },
        { "ii,i->i", [4, 4], [4] },
        { "bij,bjk->bik", [1, 3, 4], [5, 4, 2] },
        { "abcd,adbe->acbe", [2, 3, 4, 5], [2, 5, 3, 6] },
        { "ij,ij->ij", [3, 4], [3, 4] },
        { "ij,ji->ij", [3, 4], [4, 3] },
        { "ij,j->ij", [3, 4], [4] },
    };

    public static TheoryData<string, int[]> Reductions() => new()
    {
        { "ij->ji", [3, 4] },
        { "ij->i", [3, 4] },
        { "ij->j", [3, 4] },
        { "ijk->", [2, 3, 4] },
        { "ii->i", [5, 5] },
        { "iji->j", [3, 2, 3] },
        { "abc->cab", [2, 3, 4] },
    };

    private static double[] Doubles(Tensor t) => t.Floats.ToArray().Select(v => (double)v).ToArray();

    [Theory]
    [MemberData(nameof(Products))]
    public void Two_operands_match_the_plain_sum(string equation, int[] a, int[] b)
    {
        var x = TensorAssert.Random(1, -1, 1, a);
        var w = TensorAssert.Random(2, -1, 1, b);
        var y = new OpCase("Einsum").Input(x).Input(w).Attr("equation", equation).Run1();
        var expected = Reference(equation, y.Shape, (Doubles(x), a), (Doubles(w), b));
        TensorAssert.Close(expected.Select(v => (float)v).ToArray(), y.Floats, 1e-4, 1e-5);
    }

    [Theory]
    [MemberData(nameof(Reductions))]
    public void One_operand_matches_the_plain_sum(string equation, int[] a)
    {
        var x = TensorAssert.Random(3, -1, 1, a);
        var y = new OpCase("Einsum").Input(x).Attr("equation", equation).Run1();
        var expected = Reference(equation, y.Shape, (Doubles(x), a));
        TensorAssert.Close(expected.Select(v => (float)v).ToArray(), y.Floats, 1e-4, 1e-5);
    }

    [Fact]
    public void Shapes_of_the_common_forms()
    {
        Assert.Equal([2, 3, 4, 6], Run("bhqd,bhkd->bhqk", [2, 3, 4, 5], [2, 3, 6, 5]).Shape);
        Assert.Equal([4, 3], Run("ij->ji", [3, 4]).Shape);
        Assert.Equal([3, 5], Run("ij,jk", [3, 4], [4, 5]).Shape);
        Assert.Empty(Run("i,i", [6], [6]).Shape);
        Assert.Equal([4, 3], Run("ba", [3, 4]).Shape);
        Assert.Equal([3, 4], Run("ab", [3, 4]).Shape);
    }

    private static Tensor Run(string equation, params int[][] shapes)
    {
        var c = new OpCase("Einsum").Attr("equation", equation);
        for (int i = 0; i < shapes.Length; i++) c.Input(TensorAssert.Random(i, -1, 1, shapes[i]));
        return c.Run1();
    }

    [Fact]
    public void Ellipsis_lines_up_from_the_right_and_broadcasts()
    {
        // "...ij,...jk->...ik" on [2,3,4] and [4,5] is "aij,jk->aik"; spaces are ignored.
        var x = TensorAssert.Random(4, -1, 1, 2, 3, 4);
        var w = TensorAssert.Random(5, -1, 1, 4, 5);
        var y = new OpCase("Einsum").Input(x).Input(w).Attr("equation", "... ij, ...jk -> ...ik").Run1();
        Assert.Equal([2, 3, 5], y.Shape);
        TensorAssert.Close(Reference("aij,jk->aik", [2, 3, 5], (Doubles(x), [2, 3, 4]), (Doubles(w), [4, 5])).Select(v => (float)v).ToArray(), y.Floats, 1e-4, 1e-5);
        // Implicit output with an ellipsis: the ellipsis first, then single letters in order; "...ii" takes diagonals.
        var d = new OpCase("Einsum").Input(TensorAssert.Random(6, -1, 1, 2, 3, 3)).Attr("equation", "...ii->...i").Run1();
        Assert.Equal([2, 3], d.Shape);
        // [2,1,3,4] against [5,4]: the ellipses [2,1] and [5] line up from the right and broadcast to [2,5].
        Assert.Equal([2, 5, 3], Run("...ij,...j", [2, 1, 3, 4], [5, 4]).Shape);
    }

    [Fact]
    public void Float64_operands()
    {
        var x = Tensor.From(new[] { 1.0, 2, 3, 4, 5, 6 }, 2, 3);
        var w = Tensor.From(new[] { 1.0, 0, 1, 1, 0, 2 }, 3, 2);
        var y = new OpCase("Einsum").Input(x).Input(w).Attr("equation", "ij,jk->ik").Run1();
        Assert.Equal(DataType.Float64, y.Type);
        Assert.Equal(new[] { 1.0 + 2, 2 + 6, 4.0 + 5, 5 + 12 }, y.Span<double>().ToArray());
        var t = new OpCase("Einsum").Input(x).Attr("equation", "ij->j").Run1();
        Assert.Equal(new[] { 5.0, 7, 9 }, t.Span<double>().ToArray());
    }

    [Theory]
    [InlineData("ij,jk,kl->il", "one or two")]
    [InlineData("ij,jk->q", "appears in no input")]
    [InlineData("ij,jk->ii", "repeats")]
    [InlineData("i2,jk->ik", "not a label")]
    [InlineData("ij..,jk->ik", "'...'")]
    [InlineData("ijk,jk->ik", "rank")]
    public void Unsupported_or_bad_equations_say_why(string equation, string expected)
    {
        var c = new OpCase("Einsum").Attr("equation", equation).Input(TensorAssert.Random(1, -1, 1, 3, 4)).Input(TensorAssert.Random(2, -1, 1, 4, 5));
        if (equation.Count(ch => ch == ',') == 2) c.Input(TensorAssert.Random(3, -1, 1, 5, 2));
        var e = Assert.Throws<ModelException>(() => c.Run1());
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Mismatched_sizes_are_reported()
    {
        var e = Assert.Throws<ModelException>(() => Run("ij,jk->ik", [3, 4], [5, 2]));
        Assert.Contains("'j'", e.Message);
    }

    public static TheoryData<string, int[], int[]> GradientCases() => new()
    {
        { "bij,bjk->bik", [2, 3, 4], [2, 4, 5] },
        { "bhqd,bhkd->bhqk", [1, 2, 3, 4], [1, 2, 5, 4] },
        { "ji,kj->ki", [4, 3], [5, 4] },
        { "ij,jk->i", [3, 4], [4, 5] },
        { "ii,i->i", [4, 4], [4] },
        { "bij,bjk->bik", [1, 3, 4], [2, 4, 2] },
        { "abc,cd->dba", [2, 3, 4], [4, 5] },
        { "i,j->ij", [3], [4] },
        { "ij,ij->ij", [3, 4], [3, 4] },
        { "bi,bi->b", [3, 5], [3, 5] },
        { "ij,ji->i", [3, 4], [4, 3] },
    };

    [Theory]
    [MemberData(nameof(GradientCases))]
    public void Gradient_of_both_operands(string equation, int[] a, int[] b) =>
        GradCheck.Check(new OpCase("Einsum").Input(TensorAssert.Random(7, -1, 1, a)).Input(TensorAssert.Random(8, -1, 1, b)).Attr("equation", equation));

    [Theory]
    [InlineData("ij->ji", new[] { 3, 4 })]
    [InlineData("ijk->j", new[] { 2, 3, 4 })]
    [InlineData("iji->ij", new[] { 3, 2, 3 })]
    public void Gradient_of_one_operand(string equation, int[] a) =>
        GradCheck.Check(new OpCase("Einsum").Input(TensorAssert.Random(9, -1, 1, a)).Attr("equation", equation));
}

[Trait("Category", "Kernel")]
public class GemmFloat64Tests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Matches_the_float_reference_for_every_transpose(bool transA, bool transB)
    {
        // 5x7 by 7x3 with padded row strides; values exact in float, so the two precisions agree closely.
        int m = 5, n = 3, k = 7;
        int lda = (transA ? m : k) + 2, ldb = (transB ? k : n) + 1, ldc = n + 3;
        var a = TensorAssert.Random(1, -1, 1, (transA ? k : m) * lda).Floats.ToArray();
        var b = TensorAssert.Random(2, -1, 1, (transB ? n : k) * ldb).Floats.ToArray();
        var reference = new float[m * ldc];
        Prunus.Kernels.Gemm.Reference(transA, transB, m, n, k, 1f, a, lda, b, ldb, 0f, reference, ldc);
        var c = new double[m * ldc];
        Prunus.Kernels.Gemm.MultiplyFloat64(transA, transB, m, n, k, a.Select(v => (double)v).ToArray(), lda, b.Select(v => (double)v).ToArray(), ldb, c, ldc);
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) Assert.True(Math.Abs(reference[i * ldc + j] - c[i * ldc + j]) < 1e-6, $"C[{i},{j}]");
    }
}
