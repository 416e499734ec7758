using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Dropout: in training, y = x·mask/(1 − ratio) with mask[i] = (u[i] ≥ ratio), u uniform from the run's random stream;
/// in inference, y = x (a view unless the mask is asked for). Training means RunContext.Training or training_mode = true.
/// </summary>
public sealed class DropoutOp : Operator
{
    public override string OpType => "Dropout";
    // Ratio attribute (before 12) and inputs ratio, training_mode (12+); float mask before 10.
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    public override bool IsRandom => true;
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (x.Type != DataType.Float32) throw ctx.Error($"supports float32 input only, got {x.Type}");
        if (ctx.HasInput(1) && ctx.Input(1).Length != 1) throw ctx.Error($"ratio must be a scalar, got shape {ShapeMath.Format(ctx.Shape(1))}");
        if (ctx.HasInput(2) && ctx.Input(2).Length != 1) throw ctx.Error($"training_mode must be a scalar, got shape {ShapeMath.Format(ctx.Shape(2))}");
        if (ctx.Constant(1) is { } r && r.GetAsDouble(0) is < 0 or > 1)
            throw ctx.Error($"ratio {r.GetAsDouble(0)} is outside [0, 1]");
        float attr = AttributeRatio(ctx);
        if (attr is < 0 or > 1) throw ctx.Error($"ratio {attr} is outside [0, 1]");
        // The mask is bool from opset 10, of the data type before.
        var maskType = ctx.Opset >= 10 ? DataType.Bool : x.Type;
        return [x, new TensorInfo(maskType, x.Shape)];
    }

    // Before opset 12 the ratio is an attribute (default 0.5); from 12 it is input 1 (default 0.5).
    private static float AttributeRatio(NodeContext ctx) => ctx.Float("ratio", 0.5f);

    private static bool MaskWanted(NodeContext ctx) => ctx.Node.Outputs.Count > 1 && ctx.Node.Outputs[1].Length > 0;

    private static bool MayTrain(NodeContext ctx) =>
        ctx.Training || ctx.HasInput(2) && (ctx.Constant(2) is not { } t || t.GetAsDouble(0) != 0);

    public override bool IsView(NodeContext ctx) => !MayTrain(ctx) && !MaskWanted(ctx);

    public override Kernel CreateKernel(NodeContext ctx) => new DropoutKernel(ctx.Input(0).Length, AttributeRatio(ctx));

    private sealed class DropoutKernel(int length, float attributeRatio) : Kernel
    {
        private readonly bool[] _keep = new bool[length];
        private float _scale = 1;
        private bool _dropped;

        public override void Forward(RunContext ctx)
        {
            var x = Inputs[0].Floats;
            var y = Outputs[0].Floats;
            bool train = ctx.Training || Has(2) && Inputs[2].GetAsDouble(0) != 0;
            float ratio = Has(1) ? (float)Inputs[1].GetAsDouble(0) : attributeRatio;
            if (ratio is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(ratio), ratio, "Dropout ratio must be in [0, 1]");
            _dropped = train && ratio > 0;
            if (!_dropped)
            {
                x.CopyTo(y);
                _keep.AsSpan().Fill(true);
                _scale = 1;
            }
            else
            {
                // Inverted dropout keeps the expected value: E[y] = x. A ratio of 1 drops everything.
                _scale = ratio >= 1 ? 0 : 1 / (1 - ratio);
                for (int i = 0; i < x.Length; i++)
                {
                    bool keep = ctx.NextFloat() >= ratio;
                    _keep[i] = keep;
                    y[i] = keep ? x[i] * _scale : 0;
                }
            }
            if (Outputs.Length > 1 && Outputs[1] is { } mask)
            {
                if (mask.Type == DataType.Bool) _keep.CopyTo(mask.Span<bool>());
                else for (int i = 0; i < _keep.Length; i++) mask.Floats[i] = _keep[i] ? 1 : 0;
            }
        }

        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dxT || OutputGrads[0] is not { } dyT) return;
            var dx = dxT.Floats;
            var dy = dyT.Floats;
            if (!_dropped) { Kernels.Elementwise.AddInPlace(dx, dy); return; }
            for (int i = 0; i < dx.Length; i++) if (_keep[i]) dx[i] += dy[i] * _scale;
        }

        public override string Algorithm => "dropout";
    }
}
