namespace Prunus.Graph.Ops;

/// <summary>Sum: elementwise sum of 1..N inputs with broadcasting; each input's gradient is dy summed onto its shape.</summary>
public sealed class SumOp : VariadicSumOp
{
    public override string OpType => "Sum";
    protected override bool Averages => false;
}
