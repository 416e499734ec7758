namespace Prunus.Graph.Ops;

/// <summary>ReduceMax: y = max of x over the given axes (the gradient goes to the maxima, split among ties).</summary>
public sealed class ReduceMaxOp : ReduceOperator
{
    public override string OpType => "ReduceMax";
    // Axes attribute (before 18) and input (18+).
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    protected override ReduceKind Kind => ReduceKind.Max;
}
