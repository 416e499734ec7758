using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// BatchNormalization: y = (x - mean)/√(var + ε)·scale + B per channel of x [N,C,...], with the running statistics
/// (inference) or the batch's own (training, where the running mean and variance are also updated in place).
/// </summary>
/// <remarks>
/// Batch statistics give running = momentum·running + (1 - momentum)·batch. When the engine trains, the batch variance
/// in that update is the unbiased one (divided by count - 1) as PyTorch's, so that models trained here match PyTorch;
/// a node whose own training_mode=1 asks for batch statistics in an inference plan follows ONNX exactly (the biased
/// variance). Normalization itself always uses the biased variance. The optional running_mean/running_var outputs (and
/// saved_mean/saved_var before opset 14, given as the batch mean and biased variance) receive the same values.
/// </remarks>
public sealed class BatchNormalizationOp : Operator
{
    public override string OpType => "BatchNormalization";
    // spatial (before 9; only spatial=1), training_mode (14).
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    // Gradients flow to X, scale and B; never to the running statistics.
    public override bool IsDifferentiable(int index) => index < 3;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        ctx.ExpectType(0, DataType.Float32);
        var x = ctx.Shape(0);
        if (x.Length < 2) throw ctx.Error($"X must be [N,C,...], got {ShapeMath.Format(x)}");
        if (ctx.Opset < 9 && ctx.Int("spatial", 1) == 0)
            throw ctx.Error("spatial=0 (per-activation statistics) is not supported; flatten X to [N, C*D1*...] first");
        string[] names = ["scale", "B", "input_mean", "input_var"];
        for (int i = 1; i <= 4; i++)
        {
            ctx.ExpectType(i, DataType.Float32);
            var s = ctx.Shape(i);
            if (s.Length != 1 || s[0] != x[1])
                throw ctx.Error($"{names[i - 1]} must be [{x[1]}] (one value per channel of X {ShapeMath.Format(x)}), got {ShapeMath.Format(s)}");
        }
        var stat = new TensorInfo(DataType.Float32, [x[1]]);
        return [ctx.Input(0), stat, stat, stat, stat];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var x = ctx.Shape(0);
        int plane = 1;
        for (int i = 2; i < x.Length; i++) plane *= x[i];
        var kernel = new BatchNormalizationKernel(x[0], x[1], plane, ctx.Float("epsilon", 1e-5f), ctx.Float("momentum", 0.9f),
            ctx.Opset >= 14 && ctx.Int("training_mode", 0) != 0);
        // Fixed weights and statistics fold into one scale and shift per channel at plan time.
        if (ctx.Constant(1) is { } scale && ctx.Constant(2) is { } bias && ctx.Constant(3) is { } mean && ctx.Constant(4) is { } variance)
            kernel.Fold(scale.Floats, bias.Floats, mean.Floats, variance.Floats);
        return kernel;
    }

    private sealed class BatchNormalizationKernel : Kernel
    {
        private readonly int _n, _c, _plane;
        private readonly float _epsilon, _momentum;
        private readonly bool _trainingMode;
        // Per channel: the affine y = a·x + b of the last forward, and the statistics it used.
        private readonly float[] _a, _b, _mean, _invStd, _variance;
        private bool _folded, _batchStats;
        private readonly ParallelBody _forwardBody, _backwardBody;

        public BatchNormalizationKernel(int n, int c, int plane, float epsilon, float momentum, bool trainingMode)
        {
            (_n, _c, _plane, _epsilon, _momentum, _trainingMode) = (n, c, plane, epsilon, momentum, trainingMode);
            _a = new float[c]; _b = new float[c]; _mean = new float[c]; _invStd = new float[c]; _variance = new float[c];
            _forwardBody = new ParallelBody(ForwardChannel);
            _backwardBody = new ParallelBody(BackwardChannel);
        }

        public override string Algorithm => _folded ? "batchnorm-folded" : "batchnorm";

        public void Fold(ReadOnlySpan<float> scale, ReadOnlySpan<float> bias, ReadOnlySpan<float> mean, ReadOnlySpan<float> variance)
        {
            for (int c = 0; c < _c; c++)
            {
                (_a[c], _b[c]) = BatchNormalizationKernels.Fold(scale[c], bias[c], mean[c], variance[c], _epsilon);
                _mean[c] = mean[c];
                _variance[c] = variance[c];
                _invStd[c] = 1 / MathF.Sqrt(variance[c] + _epsilon);
            }
            _folded = true;
        }

        public override void Forward(RunContext ctx)
        {
            _batchStats = ctx.Training || _trainingMode;
            // Batch statistics overwrite the folded affine; later inference runs recompute it from the inputs.
            if (_batchStats) _folded = false;
            _forwardBody.For(ctx.Pool, _c, (long)_n * _c * _plane);
            if (!_batchStats) { CopyStatistics(Inputs[3].Floats, Inputs[4].Floats); return; }

            // The running update: PyTorch's unbiased batch variance when the engine trains (and then in place), ONNX's
            // biased one for a training_mode node in an inference plan.
            long count = (long)_n * _plane;
            float unbias = ctx.Training && count > 1 ? (float)count / (count - 1) : 1;
            var runMean = Inputs[3].Floats;
            var runVar = Inputs[4].Floats;
            for (int c = 0; c < _c; c++)
            {
                float m = _momentum * runMean[c] + (1 - _momentum) * _mean[c];
                float v = _momentum * runVar[c] + (1 - _momentum) * _variance[c] * unbias;
                if (Outputs.Length > 1 && Outputs[1] is { } om) om.Floats[c] = m;
                if (Outputs.Length > 2 && Outputs[2] is { } ov) ov.Floats[c] = v;
                if (ctx.Training) { runMean[c] = m; runVar[c] = v; }
            }
            if (Outputs.Length > 3 && Outputs[3] is { } savedMean) _mean.CopyTo(savedMean.Floats);
            if (Outputs.Length > 4 && Outputs[4] is { } savedVar) _variance.CopyTo(savedVar.Floats);
        }

        private void CopyStatistics(ReadOnlySpan<float> mean, ReadOnlySpan<float> variance)
        {
            if (Outputs.Length > 1 && Outputs[1] is { } om) mean.CopyTo(om.Floats);
            if (Outputs.Length > 2 && Outputs[2] is { } ov) variance.CopyTo(ov.Floats);
            if (Outputs.Length > 3 && Outputs[3] is { } sm) mean.CopyTo(sm.Floats);
            if (Outputs.Length > 4 && Outputs[4] is { } sv) variance.CopyTo(sv.Floats);
        }

        private void ForwardChannel(int c)
        {
            var x = Inputs[0].Floats;
            float scale = Inputs[1].Floats[c], bias = Inputs[2].Floats[c];
            if (_batchStats)
            {
                var (mean, variance) = BatchNormalizationKernels.Statistics(x, _n, _c, _plane, c);
                (_mean[c], _variance[c]) = (mean, variance);
                _invStd[c] = 1 / MathF.Sqrt(variance + _epsilon);
                (_a[c], _b[c]) = BatchNormalizationKernels.Fold(scale, bias, mean, variance, _epsilon);
            }
            else if (!_folded)
            {
                float mean = Inputs[3].Floats[c], variance = Inputs[4].Floats[c];
                (_mean[c], _variance[c]) = (mean, variance);
                _invStd[c] = 1 / MathF.Sqrt(variance + _epsilon);
                (_a[c], _b[c]) = BatchNormalizationKernels.Fold(scale, bias, mean, variance, _epsilon);
            }
            BatchNormalizationKernels.Apply(x, Outputs[0].Floats, _n, _c, _plane, c, _a[c], _b[c]);
        }

        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is null) return;
            _backwardBody.For(ctx.Pool, _c, 2L * _n * _c * _plane);
        }

        private void BackwardChannel(int c)
        {
            var x = Inputs[0].Floats;
            var dy = OutputGrads[0]!.Floats;
            var dx = InputGrads[0] is { } g ? g.Floats : default;
            var (dScale, dBias) = _batchStats
                ? BatchNormalizationKernels.BackwardBatch(x, dy, dx, _n, _c, _plane, c, _mean[c], _invStd[c], Inputs[1].Floats[c])
                : BatchNormalizationKernels.BackwardFixed(x, dy, dx, _n, _c, _plane, c, _mean[c], _invStd[c], _a[c]);
            if (InputGrads[1] is { } ds) ds.Floats[c] += dScale;
            if (InputGrads[2] is { } db) db.Floats[c] += dBias;
        }
    }
}
