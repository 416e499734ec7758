namespace Prunus.Graph.Ops;

/// <summary>ReduceMin: y = min of x over the given axes (the gradient goes to the minima, split among ties).</summary>
public sealed class ReduceMinOp : ReduceOperator
{
    public override string OpType => "ReduceMin";
    // Axes attribute (before 18) and input (18+).
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    protected override ReduceKind Kind => ReduceKind.Min;
}
