using System.Numerics.Tensors;
using Tensor = Prunus.Tensors.Tensor;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Base of Sum and Mean: 1 to N inputs of one type broadcast together and added (Mean then divides by N). The float
/// kernel has gradients; Sum also takes int32/int64 (forward only), folding with the integer kernel of Max and Min.
/// </summary>
public abstract class VariadicSumOp : Operator
{
    /// <summary>Whether the sum is divided by the number of inputs.</summary>
    protected abstract bool Averages { get; }

    /// <inheritdoc/>
    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        if (ctx.InputCount < 1) throw ctx.Error("needs at least one input");
        var type = ctx.Input(0).Type;
        bool ok = type == DataType.Float32 || !Averages && type is DataType.Int32 or DataType.Int64;
        if (!ok) throw ctx.Error($"input type {type} is not supported (use {(Averages ? "Float32" : "Float32, Int32 or Int64")})");
        var shape = ctx.Shape(0);
        for (int i = 1; i < ctx.InputCount; i++)
        {
            if (ctx.Input(i).Type != type) throw ctx.Error($"inputs must have one type: input 0 is {type}, input {i} is {ctx.Input(i).Type}");
            shape = BroadcastBinaryOp.BroadcastShape(ctx, shape, ctx.Shape(i));
        }
        return [new TensorInfo(type, shape)];
    }

    /// <inheritdoc/>
    public override Kernel CreateKernel(NodeContext ctx) => ctx.Input(0).Type == DataType.Float32
        ? new SumKernel(ctx, Averages)
        : new ExtremumScalarKernel<ScalarFamilies.Add>(ctx);

    /// <summary>y = x0 + x1, then y += xk for each further input (times 1/N for Mean), range by range on the pool.</summary>
    private sealed class SumKernel : Kernel
    {
        private readonly BroadcastLayout[] _fold;
        private readonly BroadcastLayout[] _reduce;
        private readonly ChunkedWork _forward;
        private readonly float _scale;
        private float[]? _scaled;

        public SumKernel(NodeContext ctx, bool averages)
        {
            _fold = ExtremumOp.FoldLayouts(ctx);
            var output = ctx.OutputInfos[0].Shape;
            _reduce = Enumerable.Range(0, ctx.InputCount).Select(k => BroadcastLayout.Create(output, ctx.Shape(k))).ToArray();
            _scale = averages ? 1f / ctx.InputCount : 1f;
            _forward = new ChunkedWork(ForwardRange);
        }

        public override void Forward(RunContext ctx) => _forward.Run(ctx.Pool, Outputs[0].Length);

        private void ForwardRange(int start, int count)
        {
            var y = Outputs[0].Floats;
            if (_fold.Length == 1) Inputs[0].Floats.Slice(start, count).CopyTo(y.Slice(start, count));
            else
            {
                Broadcast.Map<Elementwise.AddOp>(_fold[0], Inputs[0].Floats, Inputs[1].Floats, y, start, count);
                for (int k = 2; k < _fold.Length; k++) Broadcast.Map<Elementwise.AddOp>(_fold[k], y, Inputs[k].Floats, y, start, count);
            }
            if (_scale != 1f)
            {
                var part = y.Slice(start, count);
                TensorPrimitives.Multiply(part, _scale, part);
            }
        }

        // Every input gets dy (times 1/N for Mean), summed over the dimensions it was broadcast along.
        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is not { } dyT) return;
            ReadOnlySpan<float> dy = dyT.Floats;
            if (_scale != 1f)
            {
                var scaled = _scaled ??= new float[dy.Length];
                TensorPrimitives.Multiply(dy, _scale, scaled);
                dy = scaled;
            }
            for (int k = 0; k < _reduce.Length; k++)
                if (InputGrads[k] is { } dx) Broadcast.ReduceAccumulate(_reduce[k], dy, dx.Floats);
        }

        public override string Algorithm => _scale != 1f ? "mean-broadcast" : "sum-broadcast";
    }
}
