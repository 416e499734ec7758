namespace Prunus.Graph.Ops;

/// <summary>ReduceL2: y = √(Σ x²) over the given axes.</summary>
public sealed class ReduceL2Op : ReduceOperator
{
    public override string OpType => "ReduceL2";
    // Axes attribute (before 18) and input (18+).
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    protected override ReduceKind Kind => ReduceKind.L2;
}
