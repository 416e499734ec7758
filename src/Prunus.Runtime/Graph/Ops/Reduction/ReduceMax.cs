namespace Prunus.Graph.Ops;

/// <summary>ReduceMax: y = max of x over the given axes (the gradient goes to the maxima, split among ties).</summary>
public sealed class ReduceMaxOp : ReduceOperator
{
    public override string OpType => "ReduceMax";
    protected override ReduceKind Kind => ReduceKind.Max;
}
