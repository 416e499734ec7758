using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Trilu: each trailing [N, M] matrix with the elements below diagonal k zeroed (upper = 1: keep j - i &gt;= k) or above
/// it (upper = 0: keep j - i &lt;= k); k is the optional int64 input 1 (default 0), read when the op runs.
/// </summary>
public sealed class TriluOp : Operator
{
    public override string OpType => "Trilu";
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Rank < 2) throw ctx.Error($"input must have rank at least 2, got shape {ShapeMath.Format(x.Shape)}");
        if (ctx.HasInput(1))
        {
            var k = ctx.Input(1);
            if (k.Type is not (DataType.Int64 or DataType.Int32) || k.Length != 1)
                throw ctx.Error($"k (input 1) must be an int64 scalar, got {k}");
        }
        return [x];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var shape = ctx.Shape(0);
        return new TriluKernel(ctx.Int("upper", 1) != 0, ShapeArgs.Product(shape, 0, shape.Length - 2), shape[^2], shape[^1]);
    }

    private sealed class TriluKernel(bool upper, int batch, int rows, int cols) : Kernel
    {
        public override void Forward(RunContext ctx)
        {
            var x = Inputs[0];
            var y = Outputs[0];
            Array.Copy(x.Storage, x.Offset, y.Storage, y.Offset, y.Length);
            long k = Diagonal();
            int size = y.Type.SizeOf();
            var bytes = DataMovement.Bytes(y);
            for (int b = 0; b < batch; b++)
                for (int i = 0; i < rows; i++)
                {
                    var (keepFrom, keepTo) = Kept(i, k);
                    int row = (b * rows + i) * cols;
                    bytes.Slice(row * size, keepFrom * size).Clear();
                    bytes.Slice((row + keepTo) * size, (cols - keepTo) * size).Clear();
                }
        }

        // The kept elements pass dy through; the zeroed ones have no gradient.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dxT || OutputGrads[0] is not { } dyT) return;
            var dx = dxT.Floats;
            var dy = dyT.Floats;
            long k = Diagonal();
            for (int b = 0; b < batch; b++)
                for (int i = 0; i < rows; i++)
                {
                    var (keepFrom, keepTo) = Kept(i, k);
                    int row = (b * rows + i) * cols;
                    Elementwise.AddInPlace(dx.Slice(row + keepFrom, keepTo - keepFrom), dy.Slice(row + keepFrom, keepTo - keepFrom));
                }
        }

        // k limited to where it still matters, so that i + k cannot overflow.
        private long Diagonal()
        {
            if (!Has(1)) return 0;
            var t = Inputs[1];
            long k = t.Type == DataType.Int64 ? t.Span<long>()[0] : t.Span<int>()[0];
            long bound = (long)rows + cols + 1;
            return Math.Clamp(k, -bound, bound);
        }

        // Columns [from, to) of row i that are kept.
        private (int From, int To) Kept(int i, long k)
        {
            if (upper) return ((int)Math.Clamp(i + k, 0, cols), cols);
            return (0, (int)Math.Clamp(i + k + 1, 0, cols));
        }

        public override string Algorithm => upper ? "triu" : "tril";
    }
}
