using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Or: y = A or B, elementwise with broadcasting, on bools.</summary>
public sealed class OrOp : LogicalBinaryOp<BooleanLogic.Or>
{
    public override string OpType => "Or";
}
