using Prunus.Threading;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Shared by Softmax and LogSoftmax. Before opset 13 the input is coerced to a matrix [d0..d(axis−1), d(axis)..] and
/// each row is normalized (axis default 1); from opset 13 only <c>axis</c> is normalized (default −1).
/// </summary>
public abstract class SoftmaxFamilyOp : Operator
{
    /// <summary>True for LogSoftmax.</summary>
    protected abstract bool Log { get; }

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var input = ctx.Input(0);
        if (input.Type != DataType.Float32) throw ctx.Error($"supports float32 input only, got {input.Type}");
        Layout(ctx);
        return [input];
    }

    /// <summary>The input as [outer, n, inner], normalized over n.</summary>
    private static (int Outer, int N, int Inner) Layout(NodeContext ctx)
    {
        var shape = ctx.Shape(0);
        int rank = shape.Length;
        if (ctx.Opset < 13)
        {
            long axis = ctx.Int("axis", 1);
            long a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a > rank) throw ctx.Error($"axis {axis} is out of range for rank {rank}");
            return (ShapeArgs.Product(shape, 0, (int)a), ShapeArgs.Product(shape, (int)a, rank), 1);
        }
        int ax = ShapeArgs.Axis(ctx, ctx.Int("axis", -1), rank);
        return (ShapeArgs.Product(shape, 0, ax), shape[ax], ShapeArgs.Product(shape, ax + 1, rank));
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var (outer, n, inner) = Layout(ctx);
        return new SoftmaxKernel(outer, n, inner, Log);
    }

    private sealed class SoftmaxKernel(int outer, int n, int inner, bool log) : Kernel, IParallelWork
    {
        // Below this many elements a second thread costs more than it saves.
        private const int ParallelThreshold = 1 << 15;
        private bool _backward;
        private int _chunks;

        public override void Forward(RunContext ctx) => Dispatch(ctx, backward: false);

        // Reads the output y, so the input buffer need not be kept.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is null || OutputGrads[0] is null) return;
            Dispatch(ctx, backward: true);
        }

        private void Dispatch(RunContext ctx, bool backward)
        {
            _backward = backward;
            long total = (long)outer * n * inner;
            _chunks = total < ParallelThreshold ? 1 : Math.Min(outer, ctx.Pool.Threads * 4);
            if (_chunks <= 1) { _chunks = 1; Run(0); }
            else ctx.Pool.For(_chunks, this);
        }

        public void Run(int index)
        {
            int from = (int)((long)outer * index / _chunks), to = (int)((long)outer * (index + 1) / _chunks);
            int block = n * inner;
            if (_backward)
            {
                var y = Outputs[0].Floats;
                var dy = OutputGrads[0]!.Floats;
                var dx = InputGrads[0]!.Floats;
                for (int r = from; r < to; r++)
                {
                    int o = r * block;
                    if (inner == 1) Kernels.Softmax.RowBackward(y.Slice(o, n), dy.Slice(o, n), dx.Slice(o, n), log);
                    else Kernels.Softmax.ColumnsBackward(y.Slice(o, block), dy.Slice(o, block), dx.Slice(o, block), n, inner, log);
                }
            }
            else
            {
                var x = Inputs[0].Floats;
                var y = Outputs[0].Floats;
                for (int r = from; r < to; r++)
                {
                    int o = r * block;
                    if (inner == 1) Kernels.Softmax.Row(x.Slice(o, n), y.Slice(o, n), log);
                    else Kernels.Softmax.Columns(x.Slice(o, block), y.Slice(o, block), n, inner, log);
                }
            }
        }

        public override string Algorithm => inner == 1 ? "softmax-rows" : "softmax-columns";
    }
}
