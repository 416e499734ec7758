using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Greater: y = A &gt; B, elementwise with broadcasting, as bool.</summary>
public sealed class GreaterOp : ComparisonOp<Comparisons.Greater>
{
    public override string OpType => "Greater";
}
