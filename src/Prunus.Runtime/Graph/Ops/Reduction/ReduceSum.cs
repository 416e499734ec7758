namespace Prunus.Graph.Ops;

/// <summary>ReduceSum: y = Σ x over the given axes (all axes if none are given).</summary>
public sealed class ReduceSumOp : ReduceOperator
{
    public override string OpType => "ReduceSum";
    protected override ReduceKind Kind => ReduceKind.Sum;
}
