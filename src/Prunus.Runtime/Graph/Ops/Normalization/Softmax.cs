namespace Prunus.Graph.Ops;

/// <summary>Softmax: y = exp(x − max) / Σ exp(x − max) along the axis (see <see cref="SoftmaxFamilyOp"/> for the opset forms).</summary>
public sealed class SoftmaxOp : SoftmaxFamilyOp
{
    public override string OpType => "Softmax";
    protected override bool Log => false;
}
