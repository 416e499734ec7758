using System.Numerics;
using Prunus.Tensors;

namespace Prunus.Training;

/// <summary>
/// Stochastic gradient descent with PyTorch's semantics (dampening 0): g += wd * w; buf = m * buf + g;
/// g = nesterov ? g + m * buf : buf; w -= lr * g.
/// </summary>
public sealed class Sgd : Optimizer
{
    private readonly Tensor?[] _momentum;

    /// <summary>Momentum factor m (0 for plain SGD, which keeps no state).</summary>
    public double Momentum { get; }
    /// <summary>Whether the update uses Nesterov momentum.</summary>
    public bool Nesterov { get; }
    /// <inheritdoc/>
    public override OptimizerKind Kind => OptimizerKind.Sgd;

    /// <summary>Creates SGD over <paramref name="parameters"/>.</summary>
    public Sgd(IReadOnlyList<Parameter> parameters, double learningRate, double momentum = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, learningRate, weightDecay)
    {
        if (momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must not be negative");
        if (nesterov && momentum == 0) throw new ArgumentException("Nesterov momentum needs a momentum above 0");
        Momentum = momentum;
        Nesterov = nesterov;
        _momentum = new Tensor?[parameters.Count];
        if (momentum != 0)
            for (int i = 0; i < parameters.Count; i++) _momentum[i] = AddState(i, "momentum");
    }

    /// <inheritdoc/>
    protected override void Update(int index, Span<float> w, ReadOnlySpan<float> g)
    {
        float lr = (float)LearningRate, wd = (float)WeightDecay, m = (float)Momentum;
        if (_momentum[index] is not { } bufTensor)
        {
            for (int i = 0; i < w.Length; i++) w[i] -= lr * (g[i] + wd * w[i]);
            return;
        }
        var buf = bufTensor.Floats;
        int n = w.Length, j = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var vlr = new Vector<float>(lr);
            var vwd = new Vector<float>(wd);
            var vm = new Vector<float>(m);
            for (; j <= n - Vector<float>.Count; j += Vector<float>.Count)
            {
                var vw = new Vector<float>(w[j..]);
                var vg = new Vector<float>(g[j..]) + vwd * vw;
                var vb = vm * new Vector<float>(buf[j..]) + vg;
                vb.CopyTo(buf[j..]);
                var step = Nesterov ? vg + vm * vb : vb;
                (vw - vlr * step).CopyTo(w[j..]);
            }
        }
        // Scalar tail computes exactly what the vector lanes compute (no fused multiply-add in either).
        for (; j < n; j++)
        {
            float gi = g[j] + wd * w[j];
            float b = m * buf[j] + gi;
            buf[j] = b;
            w[j] -= lr * (Nesterov ? gi + m * b : b);
        }
    }
}
