using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>And: y = A and B, elementwise with broadcasting, on bools.</summary>
public sealed class AndOp : LogicalBinaryOp<BooleanLogic.And>
{
    public override string OpType => "And";
}
