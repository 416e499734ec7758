namespace Prunus.Graph.Ops;

/// <summary>ReduceMax: y = max of x over the given axes (forward only).</summary>
public sealed class ReduceMaxOp : ReduceOperator
{
    public override string OpType => "ReduceMax";
    protected override ReduceKind Kind => ReduceKind.Max;
}
