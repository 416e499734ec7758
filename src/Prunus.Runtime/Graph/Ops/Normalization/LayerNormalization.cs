using Prunus.Threading;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// LayerNormalization: each row over axes [axis, rank) normalized to zero mean and unit variance, then
/// y = x̂·scale + bias; optional outputs Mean and InvStdDev of shape [d0..d(axis−1), 1, ..., 1].
/// </summary>
public sealed class LayerNormalizationOp : Operator
{
    public override string OpType => "LayerNormalization";
    public override OpsetRange? Opsets => OpsetRange.Since(17);

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Type != DataType.Float32) throw ctx.Error($"supports float32 input only, got {x.Type}");
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", -1), x.Rank);
        int n = ShapeArgs.Product(x.Shape, axis, x.Rank);
        var normalized = x.Shape[axis..];
        for (int i = 1; i <= 2; i++)
        {
            if (i == 2 && !ctx.HasInput(2)) continue;
            var p = ctx.Input(i);
            string name = i == 1 ? "scale" : "bias";
            if (p.Type != DataType.Float32) throw ctx.Error($"{name} must be float32, got {p.Type}");
            // Scale and bias cover the normalized dimensions: either that exact shape or the same numbers without leading 1s.
            if (p.Length != n || !normalized.AsSpan(Math.Max(0, normalized.Length - p.Rank)).SequenceEqual(p.Shape.AsSpan(Math.Max(0, p.Rank - normalized.Length))))
                throw ctx.Error($"{name} has shape {ShapeMath.Format(p.Shape)} but the normalized dimensions are {ShapeMath.Format(normalized)}");
        }
        var statShape = x.Shape.Select((d, i) => i < axis ? d : 1).ToArray();
        return [x, new TensorInfo(DataType.Float32, statShape), new TensorInfo(DataType.Float32, statShape)];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var x = ctx.Input(0);
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", -1), x.Rank);
        return new LayerNormKernel(ShapeArgs.Product(x.Shape, 0, axis), ShapeArgs.Product(x.Shape, axis, x.Rank), ctx.Float("epsilon", 1e-5f));
    }

    private sealed class LayerNormKernel(int rows, int n, float epsilon) : Kernel, IParallelWork
    {
        private const int ParallelThreshold = 1 << 15;
        // Per-row statistics of the last forward, for backward (which may run without the optional outputs).
        private readonly float[] _mean = new float[rows];
        private readonly float[] _invStd = new float[rows];
        private readonly float[] _zeros = new float[n];
        private int _chunks;

        public override void Forward(RunContext ctx)
        {
            _chunks = (long)rows * n < ParallelThreshold ? 1 : Math.Min(rows, ctx.Pool.Threads * 4);
            if (_chunks <= 1) { _chunks = 1; Run(0); }
            else ctx.Pool.For(_chunks, this);
            if (Outputs.Length > 1 && Outputs[1] is { } mean) _mean.CopyTo(mean.Floats);
            if (Outputs.Length > 2 && Outputs[2] is { } inv) _invStd.CopyTo(inv.Floats);
        }

        public void Run(int index)
        {
            var x = Inputs[0].Floats;
            var y = Outputs[0].Floats;
            ReadOnlySpan<float> scale = Inputs[1].Floats;
            ReadOnlySpan<float> bias = Has(2) ? Inputs[2].Floats : default;
            int from = (int)((long)rows * index / _chunks), to = (int)((long)rows * (index + 1) / _chunks);
            for (int r = from; r < to; r++)
                Kernels.LayerNorm.Row(x.Slice(r * n, n), scale, bias, epsilon, y.Slice(r * n, n), out _mean[r], out _invStd[r]);
        }

        public override void Backward(RunContext ctx)
        {
            var x = Inputs[0].Floats;
            ReadOnlySpan<float> scale = Inputs[1].Floats;
            var dy = OutputGrads[0] is { } g ? g.Floats : default;
            var dMean = OutputGrads.Length > 1 && OutputGrads[1] is { } gm ? gm.Floats : default;
            var dInv = OutputGrads.Length > 2 && OutputGrads[2] is { } gi ? gi.Floats : default;
            var dx = InputGrads[0] is { } a ? a.Floats : default;
            var dScale = InputGrads.Length > 1 && InputGrads[1] is { } b ? b.Floats : default;
            var dBias = InputGrads.Length > 2 && InputGrads[2] is { } c ? c.Floats : default;
            for (int r = 0; r < rows; r++)
                Kernels.LayerNorm.RowBackward(x.Slice(r * n, n), _mean[r], _invStd[r], scale,
                    dy.IsEmpty ? _zeros : dy.Slice(r * n, n), dx.IsEmpty ? default : dx.Slice(r * n, n), dScale, dBias,
                    dMean.IsEmpty ? 0 : dMean[r], dInv.IsEmpty ? 0 : dInv[r]);
        }

        public override string Algorithm => "layernorm-rows";
    }
}
