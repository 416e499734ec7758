using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Xor: y = A xor B, elementwise with broadcasting, on bools.</summary>
public sealed class XorOp : LogicalBinaryOp<BooleanLogic.Xor>
{
    public override string OpType => "Xor";
}
