using Prunus.Kernels;
using Prunus.Tensors;
using Prunus.Tests.Support;
using static Prunus.Tests.Ops.Shape.TestTensors;

namespace Prunus.Tests.Ops.Import;

[Trait("Category", "Kernel")]
public class ComparisonLogicTests
{
    private static readonly Dictionary<string, Func<double, double, bool>> Rules = new()
    {
        ["Equal"] = (a, b) => a == b,
        ["Less"] = (a, b) => a < b,
        ["Greater"] = (a, b) => a > b,
        ["LessOrEqual"] = (a, b) => a <= b,
        ["GreaterOrEqual"] = (a, b) => a >= b,
    };

    public static TheoryData<string, DataType> Cases()
    {
        var d = new TheoryData<string, DataType>();
        foreach (var op in Rules.Keys)
            foreach (var t in new[] { DataType.Float32, DataType.Float64, DataType.Int64, DataType.Int32, DataType.Int8, DataType.UInt8 })
                d.Add(op, t);
        return d;
    }

    // Small values with many ties, stored in any numeric type.
    private static Tensor Small(DataType type, int seed, params int[] shape)
    {
        var t = Tensor.Zeros(type, shape);
        var rng = new Random(seed);
        for (int i = 0; i < t.Length; i++)
        {
            int v = rng.Next(5);
            switch (type)
            {
                case DataType.Float32: t.Floats[i] = v - 2; break;
                case DataType.Float64: t.Span<double>()[i] = v - 2; break;
                case DataType.Int64: t.Span<long>()[i] = v - 2 + (1L << 40); break;
                case DataType.Int32: t.Span<int>()[i] = v - 2; break;
                case DataType.Int8: t.Span<sbyte>()[i] = (sbyte)(v - 2); break;
                default: t.Span<byte>()[i] = (byte)(v + 250); break;
            }
        }
        return t;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Broadcast_comparison_matches_the_rule(string op, DataType type)
    {
        // [2,3,1] against [4]: output [2,3,4].
        var a = Small(type, 1, 2, 3, 1);
        var b = Small(type, 2, 4);
        var y = new OpCase(op).Input(a).Input(b).Run1();
        Assert.Equal(DataType.Bool, y.Type);
        Assert.Equal([2, 3, 4], y.Shape);
        var va = Values(a);
        var vb = Values(b);
        var expected = new List<bool>();
        for (int i = 0; i < 6; i++) for (int j = 0; j < 4; j++) expected.Add(Rules[op](va[i], vb[j]));
        Assert.Equal(expected, y.Span<bool>().ToArray());
    }

    [Fact]
    public void NaN_compares_false()
    {
        var nan = Tensor.From(new[] { float.NaN, 1f }, 2);
        foreach (var op in Rules.Keys)
            Assert.False(new OpCase(op).Input(nan).Input(nan).Run1().Span<bool>()[0], op);
    }

    [Fact]
    public void Equal_takes_bools_and_the_others_refuse_them()
    {
        var a = Tensor.From(new[] { true, false, true, false }, 4);
        var b = Tensor.From(new[] { true, true, false, false }, 4);
        Assert.Equal(new[] { true, false, false, true }, new OpCase("Equal").Input(a).Input(b).Run1().Span<bool>().ToArray());
        Assert.Throws<ModelException>(() => new OpCase("Less").Input(a).Input(b).Run1());
        Assert.Throws<ModelException>(() => new OpCase("Equal").Input(Seq(2)).Input(Longs(1, 2)).Run1());
    }

    [Fact]
    public void Logic_truth_tables_with_broadcasting()
    {
        // a [2,1] = [F, T] against b [2] = [F, T].
        var a = Tensor.From(new[] { false, true }, 2, 1);
        var b = Tensor.From(new[] { false, true }, 2);
        Assert.Equal(new[] { false, false, false, true }, new OpCase("And").Input(a).Input(b).Run1().Span<bool>().ToArray());
        Assert.Equal(new[] { false, true, true, true }, new OpCase("Or").Input(a).Input(b).Run1().Span<bool>().ToArray());
        Assert.Equal(new[] { false, true, true, false }, new OpCase("Xor").Input(a).Input(b).Run1().Span<bool>().ToArray());
        var n = new OpCase("Not").Input(Tensor.From(new[] { true, false, false }, 3, 1)).Run1();
        Assert.Equal([3, 1], n.Shape);
        Assert.Equal(new[] { false, true, true }, n.Span<bool>().ToArray());
        Assert.Throws<ModelException>(() => new OpCase("And").Input(Seq(2)).Input(Seq(2)).Run1());
        Assert.Throws<ModelException>(() => new OpCase("Not").Input(Seq(2)).Run1());
    }

    [Fact]
    public void Constant_comparisons_fold_at_plan_time()
    {
        var plan = new OpCase("Equal").Const(Longs(3, -1, 5)).Const(Tensor.Scalar(-1L)).Compile();
        Assert.Equal(0, plan.StepCount);
        Assert.Equal(new[] { false, true, false }, plan.Output(0).Span<bool>().ToArray());
    }

    [Fact]
    public void Compare_kernel_matches_reference_on_odd_shapes()
    {
        int[] output = [3, 5, 7];
        int[][][] cases = [[[3, 5, 7], [3, 5, 7]], [[5, 1], [3, 1, 7]], [[1], [3, 5, 7]], [[3, 1, 7], [5, 7]], [[7], [1]]];
        foreach (var shapes in cases)
        {
            var layout = BroadcastLayout.Create(output, shapes);
            var a = Values(Small(DataType.Int32, 3, shapes[0])).Select(v => (int)v).ToArray();
            var b = Values(Small(DataType.Int32, 4, shapes[1])).Select(v => (int)v).ToArray();
            var fast = new bool[105];
            var reference = new bool[105];
            BroadcastLogic.Compare<int, Comparisons.LessOrEqual>(layout, a, b, fast);
            BroadcastLogic.CompareReference<int, Comparisons.LessOrEqual>(layout, a, b, reference);
            Assert.Equal(reference, fast);
        }
    }
}
