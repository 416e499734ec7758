namespace Prunus.Graph.Ops;

/// <summary>ReduceProd: y = Π x over the given axes.</summary>
public sealed class ReduceProdOp : ReduceOperator
{
    public override string OpType => "ReduceProd";
    // Axes attribute (before 18) and input (18+).
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    protected override ReduceKind Kind => ReduceKind.Prod;
}
