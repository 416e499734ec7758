namespace Prunus.Graph.Ops;

/// <summary>Softmax: y = exp(x − max) / Σ exp(x − max) along the axis (see <see cref="SoftmaxFamilyOp"/> for the opset forms).</summary>
public sealed class SoftmaxOp : SoftmaxFamilyOp
{
    public override string OpType => "Softmax";
    // Coerced 2-D semantics before 13, one axis from 13.
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    protected override bool Log => false;
}
