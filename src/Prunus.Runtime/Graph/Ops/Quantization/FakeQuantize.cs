using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// FakeQuantize (ai.prunus): Y = (clamp(round(X / scale) + zero_point, qmin, qmax) - zero_point) * scale, per tensor
/// or per channel along <c>axis</c>, with straight-through gradients for X and, when <c>lsq</c> = 1, LSQ's gradient
/// for the learned scale. Without a scale input the scale is max |X| / qmax of X itself (per channel when
/// <c>per_channel</c> = 1), as weights are quantized symmetrically.
/// </summary>
/// <remarks>
/// <para>Inputs: X (float), scale (optional, float: a scalar, [1], or one value per channel of X along <c>axis</c>),
/// zero_point (optional, float, shaped like scale; integral values in [qmin, qmax]; absent means 0).</para>
/// <para>Attributes: qmin, qmax (the integer grid, default -128 and 127); axis (the channel axis, default 1 as in
/// QuantizeLinear, negative counts from the end); per_channel (0 or 1: whether a scale computed from X is per channel);
/// lsq (0 or 1: whether a gradient flows into scale); grad_scale (LSQ's gradient scale g; default 1/√(N·qmax) with N
/// the elements of X per scale value).</para>
/// <para>The step is |scale| (a learned scale pushed through zero mirrors the grid rather than breaking it).
/// Rounding is half to even and x / scale a true division, as in QuantizeLinear, so a QuantizeLinear ->
/// DequantizeLinear pair with the same scale and zero point gives the same values. Gradients: dX = dY where
/// qmin &lt;= round(X / scale) + zero_point &lt;= qmax, else 0; dscale = g Σ dY·(round(v) - v) inside the grid,
/// dY·(qmin - zero_point) below and dY·(qmax - zero_point) above it, v = X / scale. A scale computed from X gets
/// no gradient (it is a statistic of X, as an observer's would be). zero_point never gets one.</para>
/// </remarks>
public sealed class FakeQuantizeOp : Operator
{
    public override string OpType => "FakeQuantize";
    public override string Domain => PrunusDomain.Name;

    public override bool IsDifferentiable(int index) => index == 0;

    // The scale learns only where the node asks for LSQ.
    public override bool IsDifferentiable(Node node, int index) =>
        index == 0 || index == 1 && node.Attributes.TryGetValue("lsq", out var a) && a.Int != 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        ctx.ExpectType(0, DataType.Float32);
        ReadLayout(ctx);
        return [ctx.Input(0)];
    }

    /// <summary>Channels (1 per tensor) and the elements per channel run: X viewed as [outer, channels, inner].</summary>
    private static (int Channels, int Inner, int Qmin, int Qmax, bool Lsq, float? GradScale) ReadLayout(NodeContext ctx)
    {
        var x = ctx.Shape(0);
        long qmin = ctx.Int("qmin", -128), qmax = ctx.Int("qmax", 127);
        if (qmin >= qmax || qmin < -(1L << 24) || qmax > 1L << 24)
            throw ctx.Error($"the grid [qmin, qmax] = [{qmin}, {qmax}] must be non-empty and within ±2^24 (exact in float)");
        bool lsq = ctx.Int("lsq", 0) != 0;
        float? gradScale = ctx.HasAttribute("grad_scale") ? ctx.Float("grad_scale", 0) : null;
        if (gradScale is { } g && !(g > 0 && float.IsFinite(g))) throw ctx.Error($"grad_scale must be a positive number, got {g}");
        long axisAttr = ctx.Int("axis", 1);
        int Axis()
        {
            long a = axisAttr < 0 ? axisAttr + x.Length : axisAttr;
            if (a < 0 || a >= x.Length) throw ctx.Error($"axis {axisAttr} is outside X's {x.Length} dimensions {ShapeMath.Format(x)}");
            return (int)a;
        }
        (int, int) PerChannel(int axis)
        {
            int inner = 1;
            for (int i = axis + 1; i < x.Length; i++) inner *= x[i];
            return (x[axis], inner);
        }

        if (!ctx.HasInput(1))
        {
            if (lsq) throw ctx.Error("lsq = 1 learns the scale, so the scale input is required");
            if (ctx.HasInput(2)) throw ctx.Error("a zero point needs a scale: without a scale input the range is X's own, symmetric");
            if (-qmin < qmax) throw ctx.Error($"a scale computed from X is symmetric, so qmin ({qmin}) must be at most -qmax ({-qmax})");
            var (c, inner) = ctx.Int("per_channel", 0) != 0 ? PerChannel(Axis()) : (1, ShapeMath.Size(x));
            return (c, inner, (int)qmin, (int)qmax, false, gradScale);
        }
        ctx.ExpectType(1, DataType.Float32);
        var s = ctx.Shape(1);
        if (s.Length > 1) throw ctx.Error($"scale must be a scalar or 1-D, got {ShapeMath.Format(s)}");
        if (ctx.HasInput(2))
        {
            ctx.ExpectType(2, DataType.Float32);
            if (!ShapeMath.SameShape(ctx.Shape(2), s))
                throw ctx.Error($"zero_point {ShapeMath.Format(ctx.Shape(2))} must have scale's shape {ShapeMath.Format(s)}");
        }
        int count = ShapeMath.Size(s);
        if (count == 1) return (1, ShapeMath.Size(x), (int)qmin, (int)qmax, lsq, gradScale);
        int axis = Axis();
        if (count != x[axis])
            throw ctx.Error($"scale has {count} values but X {ShapeMath.Format(x)} has {x[axis]} channels along axis {axis}");
        var (channels, run) = PerChannel(axis);
        return (channels, run, (int)qmin, (int)qmax, lsq, gradScale);
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var (channels, inner, qmin, qmax, lsq, gradScale) = ReadLayout(ctx);
        int length = ShapeMath.Size(ctx.Shape(0));
        int perScale = length / Math.Max(1, channels);
        float g = gradScale ?? (float)(1 / Math.Sqrt(Math.Max(1, perScale) * (double)qmax));
        return new FakeQuantizeKernel(channels, inner, qmin, qmax, !ctx.HasInput(1), lsq ? g : 0, lsq && ctx.Training ? length : 0);
    }

    private sealed class FakeQuantizeKernel : Kernel
    {
        private readonly int _channels, _inner;
        private readonly float _lo, _hi, _gradScale;
        private readonly bool _fromInput;
        private readonly float[] _scale, _zeroPoint, _sign;
        private readonly float[] _terms;
        private readonly double[] _sums;
        private readonly ChunkedWork _forward, _backward, _scaleTerms;

        public FakeQuantizeKernel(int channels, int inner, int qmin, int qmax, bool fromInput, float gradScale, int termLength)
        {
            (_channels, _inner, _lo, _hi, _fromInput, _gradScale) = (channels, Math.Max(1, inner), qmin, qmax, fromInput, gradScale);
            _scale = new float[channels];
            _zeroPoint = new float[channels];
            _sign = new float[channels];
            _terms = new float[termLength];
            _sums = new double[channels];
            _forward = new ChunkedWork(ForwardChunk);
            _backward = new ChunkedWork(BackwardChunk);
            _scaleTerms = new ChunkedWork(ScaleTermChunk);
        }

        public override string Algorithm => _fromInput ? "fake-quantize-symmetric" : _channels > 1 ? "fake-quantize-per-channel" : "fake-quantize";

        public override void Forward(RunContext ctx)
        {
            ReadParameters();
            _forward.Run(ctx.Pool, Inputs[0].Length);
        }

        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is null) return;
            ReadParameters();
            if (InputGrads[0] is not null) _backward.Run(ctx.Pool, Inputs[0].Length);
            if (_gradScale == 0 || InputGrads.Length < 2 || InputGrads[1] is not { } ds) return;
            if (_terms.Length < Inputs[0].Length) throw new InvalidOperationException("the scale gradient needs a training plan");
            _scaleTerms.Run(ctx.Pool, Inputs[0].Length);
            // Per channel sums in double: the terms of a large activation would lose precision in one float sum.
            Array.Clear(_sums);
            var t = _terms.AsSpan(0, Inputs[0].Length);
            for (int start = 0; start < t.Length; start += _inner)
                _sums[start / _inner % _channels] += Sum(t.Slice(start, _inner));
            var d = ds.Floats;
            if (d.Length == 1) d[0] += (float)(_gradScale * _sign[0] * _sums[0]);
            else for (int c = 0; c < _channels; c++) d[c] += (float)(_gradScale * _sign[c] * _sums[c]);
        }

        private static double Sum(ReadOnlySpan<float> x)
        {
            double s = 0;
            for (int i = 0; i < x.Length; i += 1024)
                s += System.Numerics.Tensors.TensorPrimitives.Sum(x.Slice(i, Math.Min(1024, x.Length - i)));
            return s;
        }

        /// <summary>The scale and zero point of every channel: from the inputs, or X's symmetric range.</summary>
        private void ReadParameters()
        {
            if (_fromInput)
            {
                // X as [outer, C, inner]: a channel's range is the largest over its runs.
                var x = Inputs[0].Floats;
                Array.Clear(_scale);
                for (int start = 0; start < x.Length; start += _inner)
                {
                    int c = start / _inner % _channels;
                    float m = FakeQuant.MaxAbs(x.Slice(start, Math.Min(_inner, x.Length - start)));
                    _scale[c] = float.IsNaN(m) || float.IsNaN(_scale[c]) ? float.NaN : MathF.Max(_scale[c], m);
                }
                for (int c = 0; c < _channels; c++) _scale[c] = FakeQuant.SymmetricScale(_scale[c], (int)_hi);
                return;
            }
            // The step is |scale|: a learned scale that an update pushes through zero mirrors the grid instead of
            // breaking it (for a symmetric grid nothing changes at all), and its gradient follows the sign.
            var scale = Inputs[1].Floats;
            for (int c = 0; c < _channels; c++)
            {
                float v = scale[scale.Length == 1 ? 0 : c];
                _scale[c] = MathF.Abs(v);
                _sign[c] = v < 0 ? -1 : 1;
            }
            if (Has(2))
            {
                var z = Inputs[2].Floats;
                for (int c = 0; c < _channels; c++) _zeroPoint[c] = z[z.Length == 1 ? 0 : c];
            }
        }

        private void ForwardChunk(int start, int count)
        {
            var x = Inputs[0].Floats;
            var y = Outputs[0].Floats;
            int end = start + count;
            for (int i = start; i < end;)
            {
                int stop = Math.Min(end, (i / _inner + 1) * _inner), c = i / _inner % _channels;
                VectorLoops.Unary(new FakeQuant.Forward(_scale[c], _zeroPoint[c], _lo, _hi), x[i..stop], y[i..stop]);
                i = stop;
            }
        }

        private void BackwardChunk(int start, int count)
        {
            var x = Inputs[0].Floats;
            var dy = OutputGrads[0]!.Floats;
            var dx = InputGrads[0]!.Floats;
            int end = start + count;
            for (int i = start; i < end;)
            {
                int stop = Math.Min(end, (i / _inner + 1) * _inner), c = i / _inner % _channels;
                VectorLoops.BinaryAccumulate(new FakeQuant.InputGradient(_scale[c], _zeroPoint[c], _lo, _hi), x[i..stop], dy[i..stop], dx[i..stop]);
                i = stop;
            }
        }

        private void ScaleTermChunk(int start, int count)
        {
            var x = Inputs[0].Floats;
            var dy = OutputGrads[0]!.Floats;
            var t = _terms.AsSpan();
            int end = start + count;
            for (int i = start; i < end;)
            {
                int stop = Math.Min(end, (i / _inner + 1) * _inner), c = i / _inner % _channels;
                VectorLoops.Binary(new FakeQuant.ScaleGradientTerm(_scale[c], _zeroPoint[c], _lo, _hi), x[i..stop], dy[i..stop], t[i..stop]);
                i = stop;
            }
        }
    }
}
