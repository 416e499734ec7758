namespace Prunus.Graph.Ops;

/// <summary>LogSoftmax: y = x − max − log Σ exp(x − max) along the axis (see <see cref="SoftmaxFamilyOp"/> for the opset forms).</summary>
public sealed class LogSoftmaxOp : SoftmaxFamilyOp
{
    public override string OpType => "LogSoftmax";
    protected override bool Log => true;
}
