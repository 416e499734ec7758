namespace Prunus.Graph.Ops;

/// <summary>LogSoftmax: y = x − max − log Σ exp(x − max) along the axis (see <see cref="SoftmaxFamilyOp"/> for the opset forms).</summary>
public sealed class LogSoftmaxOp : SoftmaxFamilyOp
{
    public override string OpType => "LogSoftmax";
    // Coerced 2-D semantics before 13, one axis from 13.
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    protected override bool Log => true;
}
