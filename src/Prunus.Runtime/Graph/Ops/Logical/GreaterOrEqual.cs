using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>GreaterOrEqual: y = A &gt;= B, elementwise with broadcasting, as bool.</summary>
public sealed class GreaterOrEqualOp : ComparisonOp<Comparisons.GreaterOrEqual>
{
    public override string OpType => "GreaterOrEqual";
}
