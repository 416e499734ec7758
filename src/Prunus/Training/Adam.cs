using System.Numerics;
using Prunus.Tensors;

namespace Prunus.Training;

/// <summary>
/// Adam and AdamW with PyTorch's semantics. Adam adds wd * w to the gradient; AdamW first shrinks w by (1 - lr * wd).
/// Then m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps).
/// </summary>
public sealed class Adam : Optimizer
{
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;
    private float _stepSize, _invSqrtBc2;

    /// <summary>Decay of the first-moment average.</summary>
    public double Beta1 { get; }
    /// <summary>Decay of the second-moment average.</summary>
    public double Beta2 { get; }
    /// <summary>Added to the denominator for stability.</summary>
    public double Epsilon { get; }
    /// <summary>Whether weight decay is decoupled from the gradient (AdamW).</summary>
    public bool Decoupled { get; }
    /// <inheritdoc/>
    public override OptimizerKind Kind => Decoupled ? OptimizerKind.AdamW : OptimizerKind.Adam;

    /// <summary>Creates Adam (or AdamW when <paramref name="decoupled"/>) over <paramref name="parameters"/>.</summary>
    public Adam(IReadOnlyList<Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999,
        double epsilon = 1e-8, double weightDecay = 0, bool decoupled = false)
        : base(parameters, learningRate, weightDecay)
    {
        if (beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "beta1 must lie in [0, 1)");
        if (beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "beta2 must lie in [0, 1)");
        if (epsilon <= 0) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "epsilon must be positive");
        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        Decoupled = decoupled;
        _m = new Tensor[parameters.Count];
        _v = new Tensor[parameters.Count];
        for (int i = 0; i < parameters.Count; i++)
        {
            _m[i] = AddState(i, "exp_avg");
            _v[i] = AddState(i, "exp_avg_sq");
        }
    }

    /// <inheritdoc/>
    protected override void BeginStep()
    {
        double bc1 = 1 - Math.Pow(Beta1, StepCount), bc2 = 1 - Math.Pow(Beta2, StepCount);
        _stepSize = (float)(LearningRate / bc1);
        _invSqrtBc2 = (float)(1 / Math.Sqrt(bc2));
    }

    /// <inheritdoc/>
    protected override void Update(int index, Span<float> w, ReadOnlySpan<float> g)
    {
        float b1 = (float)Beta1, b2 = (float)Beta2, eps = (float)Epsilon, stepSize = _stepSize, invBc2 = _invSqrtBc2;
        float c1 = 1 - b1, c2 = 1 - b2;
        float l2 = Decoupled ? 0 : (float)WeightDecay;
        float shrink = Decoupled ? (float)(1 - LearningRate * WeightDecay) : 1;
        var m = _m[index].Floats;
        var v = _v[index].Floats;
        int n = w.Length, j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vb1 = new Vector<float>(b1); var vb2 = new Vector<float>(b2);
            var vc1 = new Vector<float>(c1); var vc2 = new Vector<float>(c2);
            var vl2 = new Vector<float>(l2); var vshrink = new Vector<float>(shrink);
            var veps = new Vector<float>(eps); var vstep = new Vector<float>(stepSize); var vinv = new Vector<float>(invBc2);
            for (; j <= n - Vector<float>.Count; j += Vector<float>.Count)
            {
                var vw = new Vector<float>(w[j..]);
                var vg = new Vector<float>(g[j..]) + vl2 * vw;
                var vm = vb1 * new Vector<float>(m[j..]) + vc1 * vg;
                var vv = vb2 * new Vector<float>(v[j..]) + vc2 * (vg * vg);
                vm.CopyTo(m[j..]);
                vv.CopyTo(v[j..]);
                var denom = Vector.SquareRoot(vv) * vinv + veps;
                (vw * vshrink - vstep * (vm / denom)).CopyTo(w[j..]);
            }
        }
        for (; j < n; j++)
        {
            float wi = w[j];
            float gi = g[j] + l2 * wi;
            float mi = b1 * m[j] + c1 * gi;
            float vi = b2 * v[j] + c2 * (gi * gi);
            m[j] = mi;
            v[j] = vi;
            float denom = MathF.Sqrt(vi) * invBc2 + eps;
            w[j] = wi * shrink - stepSize * (mi / denom);
        }
    }
}
