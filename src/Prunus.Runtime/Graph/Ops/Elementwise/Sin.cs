namespace Prunus.Graph.Ops;

/// <summary>Sin: y = sin(x), x in radians.</summary>
public sealed class SinOp : UnaryFloatOp
{
    public override string OpType => "Sin";
    public override OpsetRange? Opsets => OpsetRange.Since(7);

    public override Kernel CreateKernel(NodeContext ctx) => new SinKernel();

    // Scalar loops: exported models use Sin for position codes computed from shapes, which the planner folds to
    // constants, so it is seldom on a hot path.
    private sealed class SinKernel : UnaryFloatKernel
    {
        protected override void Apply(ReadOnlySpan<float> x, Span<float> y)
        {
            for (int i = 0; i < x.Length; i++) y[i] = MathF.Sin(x[i]);
        }

        // dx += cos(x) dy.
        protected override void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx)
        {
            for (int i = 0; i < x.Length; i++) dx[i] += MathF.Cos(x[i]) * dy[i];
        }
    }
}
