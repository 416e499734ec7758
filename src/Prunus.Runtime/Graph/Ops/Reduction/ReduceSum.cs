namespace Prunus.Graph.Ops;

/// <summary>ReduceSum: y = Σ x over the given axes (all axes if none are given).</summary>
public sealed class ReduceSumOp : ReduceOperator
{
    public override string OpType => "ReduceSum";
    // Axes attribute (before 13) and input (13+).
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    protected override ReduceKind Kind => ReduceKind.Sum;
}
