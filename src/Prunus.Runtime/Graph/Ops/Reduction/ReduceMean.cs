namespace Prunus.Graph.Ops;

/// <summary>ReduceMean: y = mean of x over the given axes (all axes if none are given).</summary>
public sealed class ReduceMeanOp : ReduceOperator
{
    public override string OpType => "ReduceMean";
    // Axes attribute (before 18) and input (18+).
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    protected override ReduceKind Kind => ReduceKind.Mean;
}
