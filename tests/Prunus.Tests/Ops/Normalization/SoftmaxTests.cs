using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Normalization;

[Trait("Category", "Kernel")]
public class SoftmaxTests
{
    [Fact]
    public void Softmax_of_a_row_by_hand()
    {
        var y = new OpCase("Softmax").Input(Tensor.From(new[] { 1f, 2f, 3f, 1f, 1f, 1f }, 2, 3)).Run1();
        TensorAssert.Close([0.09003057f, 0.24472847f, 0.66524096f, 1 / 3f, 1 / 3f, 1 / 3f], y.Floats);
    }

    [Fact]
    public void LogSoftmax_of_a_row_by_hand()
    {
        var y = new OpCase("LogSoftmax").Input(Tensor.From(new[] { 1f, 2f, 3f }, 3)).Run1();
        TensorAssert.Close([-2.4076059f, -1.4076059f, -0.40760595f], y.Floats);
    }

    /// <summary>Plain softmax of x viewed as [outer, n, inner] over n.</summary>
    private static float[] Reference(Tensor x, int outer, int n, int inner, bool log)
    {
        var y = new float[x.Length];
        var xs = x.Floats.ToArray();
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < inner; c++)
            {
                var col = Enumerable.Range(0, n).Select(k => xs[(o * n + k) * inner + c]).ToArray();
                var r = new float[n];
                Softmax.RowReference(col, r, log);
                for (int k = 0; k < n; k++) y[(o * n + k) * inner + c] = r[k];
            }
        return y;
    }

    [Theory]
    [InlineData("Softmax", false)]
    [InlineData("LogSoftmax", true)]
    public void Before_opset_13_the_input_is_coerced_to_rows_at_axis(string op, bool log)
    {
        var x = TensorAssert.Random(1, -3, 3, 2, 3, 5);
        TensorAssert.Close(Reference(x, 2, 15, 1, log), new OpCase(op).WithOpset(11).Input(x).Run1().Floats, rtol: 1e-5);
        TensorAssert.Close(Reference(x, 6, 5, 1, log), new OpCase(op).WithOpset(11).Input(x).Attr("axis", 2L).Run1().Floats, rtol: 1e-5);
        TensorAssert.Close(Reference(x, 1, 30, 1, log), new OpCase(op).WithOpset(11).Input(x).Attr("axis", 0L).Run1().Floats, rtol: 1e-5);
    }

    [Theory]
    [InlineData("Softmax", false)]
    [InlineData("LogSoftmax", true)]
    public void From_opset_13_only_the_axis_is_normalized(string op, bool log)
    {
        var x = TensorAssert.Random(2, -3, 3, 2, 3, 5);
        TensorAssert.Close(Reference(x, 6, 5, 1, log), new OpCase(op).WithOpset(13).Input(x).Run1().Floats, rtol: 1e-5);
        TensorAssert.Close(Reference(x, 2, 3, 5, log), new OpCase(op).WithOpset(13).Input(x).Attr("axis", 1L).Run1().Floats, rtol: 1e-5);
        TensorAssert.Close(Reference(x, 2, 3, 5, log), new OpCase(op).WithOpset(13).Input(x).Attr("axis", -2L).Run1().Floats, rtol: 1e-5);
        TensorAssert.Close(Reference(x, 1, 2, 15, log), new OpCase(op).WithOpset(13).Input(x).Attr("axis", 0L).Run1().Floats, rtol: 1e-5);
    }

    [Theory]
    [InlineData("Softmax", false, -1)]
    [InlineData("Softmax", false, 1)]
    [InlineData("LogSoftmax", true, -1)]
    [InlineData("LogSoftmax", true, 1)]
    public void Large_inputs_run_in_parallel_chunks(string op, bool log, long axis)
    {
        var x = TensorAssert.Random(3, -5, 5, 37, 40, 30);
        var y = new OpCase(op).Input(x).Attr("axis", axis).Run1();
        var expected = axis == -1 ? Reference(x, 37 * 40, 30, 1, log) : Reference(x, 37, 40, 30, log);
        TensorAssert.Close(expected, y.Floats, rtol: 2e-5, atol: 1e-6);
    }

    [Fact]
    public void Rejects_an_axis_out_of_range() =>
        Assert.Throws<ModelException>(() => new OpCase("Softmax").Input(TensorAssert.Random(1, 0, 1, 2, 3)).Attr("axis", 2L).Run1());

    [Theory]
    [InlineData("Softmax", 13, -1)]
    [InlineData("Softmax", 13, 1)]
    [InlineData("Softmax", 11, 1)]
    [InlineData("LogSoftmax", 13, -1)]
    [InlineData("LogSoftmax", 13, 0)]
    [InlineData("LogSoftmax", 11, 1)]
    public void Gradient(string op, long opset, long axis) =>
        GradCheck.Check(new OpCase(op).WithOpset(opset).Input(TensorAssert.Random(4, -2, 2, 3, 4, 5)).Attr("axis", axis), eps: 1e-3f);
}
