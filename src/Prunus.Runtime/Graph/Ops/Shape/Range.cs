using System.Numerics;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Range: start, start + delta, ... up to but excluding limit; the three scalars must be known at plan time (the length depends on them).</summary>
public sealed class RangeOp : Operator
{
    public override string OpType => "Range";
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var type = ctx.Input(0).Type;
        if (type is not (DataType.Float32 or DataType.Float64 or DataType.Int32 or DataType.Int64))
            throw ctx.Error($"type {type} is not supported (use Float32, Float64, Int32 or Int64)");
        for (int i = 0; i < 3; i++)
        {
            var t = ctx.Input(i);
            if (t.Type != type) throw ctx.Error($"start, limit and delta must have one type: input 0 is {type}, input {i} is {t.Type}");
            if (t.Length != 1) throw ctx.Error($"input {i} must be a scalar, got shape {ShapeMath.Format(t.Shape)}");
        }
        return [new TensorInfo(type, [Count(ctx)])];
    }

    // max(ceil((limit - start) / delta), 0): exact integer arithmetic for integers, double for floats.
    private static int Count(NodeContext ctx)
    {
        var start = ctx.RequireConstant(0);
        var limit = ctx.RequireConstant(1);
        var delta = ctx.RequireConstant(2);
        long count;
        if (start.Type is DataType.Int32 or DataType.Int64)
        {
            long s = (long)start.GetAsDouble(0), l = (long)limit.GetAsDouble(0), d = (long)delta.GetAsDouble(0);
            if (start.Type == DataType.Int64) (s, l, d) = (start.Span<long>()[0], limit.Span<long>()[0], delta.Span<long>()[0]);
            if (d == 0) throw ctx.Error("delta is 0");
            Int128 span = (Int128)l - s;
            count = d > 0 ? (span <= 0 ? 0 : (long)((span + d - 1) / d)) : (span >= 0 ? 0 : (long)((-span + (-(Int128)d) - 1) / -(Int128)d));
        }
        else
        {
            double s = start.GetAsDouble(0), l = limit.GetAsDouble(0), d = delta.GetAsDouble(0);
            if (d == 0 || double.IsNaN(d)) throw ctx.Error($"delta is {d}");
            double c = Math.Ceiling((l - s) / d);
            if (double.IsNaN(c) || double.IsInfinity(c)) throw ctx.Error($"range from {s} to {l} by {d} is not finite");
            count = (long)Math.Max(c, 0);
        }
        if (count > int.MaxValue) throw ctx.Error($"range has {count} elements, more than a tensor can hold");
        return (int)count;
    }

    public override Kernel CreateKernel(NodeContext ctx) => new RangeKernel();

    private sealed class RangeKernel : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx)
        {
            switch (Outputs[0].Type)
            {
                case DataType.Float32: Fill<float>(); break;
                case DataType.Float64: Fill<double>(); break;
                case DataType.Int32: Fill<int>(); break;
                default: Fill<long>(); break;
            }
        }

        // y[i] = start + i * delta, computed per element (not accumulated) so that floats do not drift.
        private void Fill<T>() where T : unmanaged, INumber<T>
        {
            T start = Inputs[0].Span<T>()[0], delta = Inputs[2].Span<T>()[0];
            var y = Outputs[0].Span<T>();
            for (int i = 0; i < y.Length; i++) y[i] = start + T.CreateTruncating(i) * delta;
        }
    }
}
