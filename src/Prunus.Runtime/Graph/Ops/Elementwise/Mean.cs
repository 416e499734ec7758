namespace Prunus.Graph.Ops;

/// <summary>Mean: elementwise mean of 1..N float inputs with broadcasting; each input's gradient is dy / N summed onto its shape.</summary>
public sealed class MeanOp : VariadicSumOp
{
    public override string OpType => "Mean";
    protected override bool Averages => true;
}
