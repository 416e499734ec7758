namespace Prunus.Graph.Ops;

/// <summary>ReduceProd: y = Π x over the given axes.</summary>
public sealed class ReduceProdOp : ReduceOperator
{
    public override string OpType => "ReduceProd";
    protected override ReduceKind Kind => ReduceKind.Prod;
}
