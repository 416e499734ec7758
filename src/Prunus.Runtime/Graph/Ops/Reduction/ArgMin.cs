namespace Prunus.Graph.Ops;

/// <summary>ArgMin: the int64 position of the smallest element along <c>axis</c>.</summary>
public sealed class ArgMinOp : ArgExtremeOp
{
    public override string OpType => "ArgMin";
    protected override bool Max => false;
}
