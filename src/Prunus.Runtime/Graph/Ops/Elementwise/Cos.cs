namespace Prunus.Graph.Ops;

/// <summary>Cos: y = cos(x), x in radians.</summary>
public sealed class CosOp : UnaryFloatOp
{
    public override string OpType => "Cos";
    public override OpsetRange? Opsets => OpsetRange.Since(7);

    public override Kernel CreateKernel(NodeContext ctx) => new CosKernel();

    // Scalar loops: exported models use Cos for position codes computed from shapes, which the planner folds to
    // constants, so it is seldom on a hot path.
    private sealed class CosKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
        {
            for (int i = 0; i < x.Length; i++) y[i] = MathF.Cos(x[i]);
        }

        // dx -= sin(x) dy.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (int i = 0; i < x.Length; i++) dx[i] += -MathF.Sin(x[i]) * dy[i];
        }
    }
}
