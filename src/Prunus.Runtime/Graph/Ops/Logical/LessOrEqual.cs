using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>LessOrEqual: y = A &lt;= B, elementwise with broadcasting, as bool.</summary>
public sealed class LessOrEqualOp : ComparisonOp<Comparisons.LessOrEqual>
{
    public override string OpType => "LessOrEqual";
}
