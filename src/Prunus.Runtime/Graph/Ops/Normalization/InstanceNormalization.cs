using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// InstanceNormalization: y = scale[c]·(x − mean)/√(var + ε) + B[c], with mean and (biased) variance taken over the
/// spatial axes of each sample and channel of x [N,C,D1,...].
/// </summary>
public sealed class InstanceNormalizationOp : Operator
{
    public override string OpType => "InstanceNormalization";

    // Opset 1 differs only by the ignored consumed_inputs attribute; 6 and 22 change element types only.
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        ctx.ExpectType(0, DataType.Float32);
        var x = ctx.Shape(0);
        if (x.Length < 2) throw ctx.Error($"input must be [N,C,D1,...], got {ShapeMath.Format(x)}");
        string[] names = ["scale", "B"];
        for (int i = 1; i <= 2; i++)
        {
            ctx.ExpectType(i, DataType.Float32);
            var s = ctx.Shape(i);
            if (s.Length != 1 || s[0] != x[1])
                throw ctx.Error($"{names[i - 1]} must be [{x[1]}] (one value per channel of {ShapeMath.Format(x)}), got {ShapeMath.Format(s)}");
        }
        return [ctx.Input(0)];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var x = ctx.Shape(0);
        int plane = ShapeArgs.Product(x, 2, x.Length);
        return new InstanceNormKernel(x[0], x[1], plane, ctx.Float("epsilon", 1e-5f));
    }

    /// <summary>Per channel (in parallel), each sample's plane is normalized on its own: batch normalization with N = 1.</summary>
    private sealed class InstanceNormKernel : Kernel
    {
        private readonly int _n, _c, _plane;
        private readonly float _epsilon;
        // Statistics of the last forward, per sample and channel [N,C], for backward.
        private readonly float[] _mean, _invStd;
        private readonly ParallelBody _forwardBody, _backwardBody;

        public InstanceNormKernel(int n, int c, int plane, float epsilon)
        {
            (_n, _c, _plane, _epsilon) = (n, c, plane, epsilon);
            _mean = new float[n * c];
            _invStd = new float[n * c];
            _forwardBody = new ParallelBody(ForwardChannel);
            _backwardBody = new ParallelBody(BackwardChannel);
        }

        public override string Algorithm => "instancenorm";

        public override void Forward(RunContext ctx) => _forwardBody.For(ctx.Pool, _c, (long)_n * _c * _plane);

        private void ForwardChannel(int c)
        {
            var x = Inputs[0].Floats;
            var y = Outputs[0].Floats;
            float scale = Inputs[1].Floats[c], bias = Inputs[2].Floats[c];
            int sample = _c * _plane;
            for (int i = 0; i < _n; i++)
            {
                var xi = x.Slice(i * sample, sample);
                var (mean, variance) = BatchNormalizationKernels.Statistics(xi, 1, _c, _plane, c);
                _mean[i * _c + c] = mean;
                _invStd[i * _c + c] = 1 / MathF.Sqrt(variance + _epsilon);
                var (a, b) = BatchNormalizationKernels.Fold(scale, bias, mean, variance, _epsilon);
                BatchNormalizationKernels.Apply(xi, y.Slice(i * sample, sample), 1, _c, _plane, c, a, b);
            }
        }

        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is null) return;
            _backwardBody.For(ctx.Pool, _c, 2L * _n * _c * _plane);
        }

        // The statistics depend on x, so dx = scale·invStd·(dy − mean(dy) − x̂·mean(dy·x̂)) per sample and channel.
        private void BackwardChannel(int c)
        {
            var x = Inputs[0].Floats;
            var dy = OutputGrads[0]!.Floats;
            var dx = InputGrads[0] is { } g ? g.Floats : default;
            float scale = Inputs[1].Floats[c];
            int sample = _c * _plane;
            double dScale = 0, dBias = 0;
            for (int i = 0; i < _n; i++)
            {
                var (ds, db) = BatchNormalizationKernels.BackwardBatch(x.Slice(i * sample, sample), dy.Slice(i * sample, sample),
                    dx.IsEmpty ? default : dx.Slice(i * sample, sample), 1, _c, _plane, c, _mean[i * _c + c], _invStd[i * _c + c], scale);
                dScale += ds;
                dBias += db;
            }
            if (InputGrads.Length > 1 && InputGrads[1] is { } gs) gs.Floats[c] += (float)dScale;
            if (InputGrads.Length > 2 && InputGrads[2] is { } gb) gb.Floats[c] += (float)dBias;
        }
    }
}
