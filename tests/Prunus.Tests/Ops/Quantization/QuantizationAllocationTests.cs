using Prunus.Graph.Planning;
using Prunus.Tensors;
using Prunus.Tests.Support;

namespace Prunus.Tests.Ops.Quantization;

/// <summary>Running a plan of any quantization op allocates nothing (scratch is made with the kernel).</summary>
[Trait("Category", "Kernel")]
public class QuantizationAllocationTests
{
    [Theory]
    [InlineData("QuantizeLinear per-tensor")]
    [InlineData("QuantizeLinear blocked int4")]
    [InlineData("DequantizeLinear per-axis")]
    [InlineData("DynamicQuantizeLinear")]
    [InlineData("MatMulInteger")]
    [InlineData("ConvInteger")]
    [InlineData("QLinearMatMul")]
    [InlineData("QLinearConv")]
    public void Run_allocates_nothing(string what)
    {
        var bytes = Tensor.From(Enumerable.Range(0, 2 * 3 * 8 * 8).Select(i => (byte)(i * 37)).ToArray(), 2, 3, 8, 8);
        var c = what switch
        {
            "QuantizeLinear per-tensor" => new OpCase("QuantizeLinear").Input(TensorAssert.Random(1, -5, 5, 3, 700)).Const(Tensor.Scalar(0.1f)).Const(Tensor.Scalar((sbyte)1)),
            "QuantizeLinear blocked int4" => new OpCase("QuantizeLinear").WithOpset(21).Input(TensorAssert.Random(1, -5, 5, 6, 9))
                .Const(Tensor.From(Enumerable.Repeat(0.5f, 18).ToArray(), 6, 3)).Attr("block_size", 4L).Attr("output_dtype", (long)DataType.Int4),
            "DequantizeLinear per-axis" => new OpCase("DequantizeLinear").Input(Tensor.From(new sbyte[3 * 500], 3, 500)).Const(Tensor.From(new[] { 1f, 2f, 3f }, 3)).Attr("axis", 0L),
            "DynamicQuantizeLinear" => new OpCase("DynamicQuantizeLinear").Input(TensorAssert.Random(1, -5, 5, 3, 700)).Outputs(3),
            "MatMulInteger" => new OpCase("MatMulInteger").Input(Tensor.From(new byte[2 * 5 * 7], 2, 5, 7)).Const(Tensor.From(new sbyte[7 * 4], 7, 4))
                .Const(Tensor.Scalar((byte)3)).Const(Tensor.From(new sbyte[4], 4)),
            "ConvInteger" => new OpCase("ConvInteger").Input(bytes).Const(Tensor.From(new byte[4 * 3 * 9], 4, 3, 3, 3)).Attr("pads", 1L, 1L, 1L, 1L),
            "QLinearMatMul" => new OpCase("QLinearMatMul").Input(Tensor.From(new byte[5 * 7], 5, 7)).Const(Tensor.Scalar(0.1f)).Const(Tensor.Scalar((byte)3))
                .Const(Tensor.From(new sbyte[7 * 4], 7, 4)).Const(Tensor.From(new[] { 0.1f, 0.2f, 0.3f, 0.4f }, 4)).Const(Tensor.From(new sbyte[4], 4))
                .Const(Tensor.Scalar(0.5f)).Const(Tensor.Scalar((byte)9)),
            _ => new OpCase("QLinearConv").Input(bytes).Const(Tensor.Scalar(0.1f)).Const(Tensor.Scalar((byte)3))
                .Const(Tensor.From(new sbyte[4 * 3 * 9], 4, 3, 3, 3)).Const(Tensor.From(new[] { 0.1f, 0.2f, 0.3f, 0.4f }, 4)).Const(Tensor.From(new sbyte[4], 4))
                .Const(Tensor.Scalar(0.5f)).Const(Tensor.Scalar((byte)9)).Const(Tensor.From(new[] { 1, 2, 3, 4 }, 4)),
        };
        var plan = c.Compile(new PlanOptions { Pool = TestPools.One });
        for (int i = 0; i < 2; i++) plan.Run();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 5; i++) plan.Run();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
