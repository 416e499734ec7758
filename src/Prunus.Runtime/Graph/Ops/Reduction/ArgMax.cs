namespace Prunus.Graph.Ops;

/// <summary>ArgMax: the int64 position of the largest element along <c>axis</c>.</summary>
public sealed class ArgMaxOp : ArgExtremeOp
{
    public override string OpType => "ArgMax";
    protected override bool Max => true;
}
