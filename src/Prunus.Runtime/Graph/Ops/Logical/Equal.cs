using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>Equal: y = A == B, elementwise with broadcasting, as bool; numbers of one type, or bools.</summary>
public sealed class EqualOp : ComparisonOp<Comparisons.Equal>
{
    public override string OpType => "Equal";
    protected override bool AcceptsBool => true;
}
