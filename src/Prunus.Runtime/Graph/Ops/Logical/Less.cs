using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Less: y = A &lt; B, elementwise with broadcasting, as bool.</summary>
public sealed class LessOp : ComparisonOp<Comparisons.Less>
{
    public override string OpType => "Less";
}
