using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Prunus.Threading;

namespace Prunus.Kernels;

/// <summary>
/// A dense integer layer with constant weights: y[M, N] = stage(Σ_k (x[m, k] - z_x)(W[k, n] - z_w[n])), x 8-bit
/// activations [M, K] with one zero point, W 8-bit weights op(W)[K, N] with a zero point per output (or one), and
/// the output stage of <see cref="QuantizedOutput"/> (requantization to 8 bits with a fused Relu/Clip, or floats).
/// Weights are packed once here for the machine's widest family: VNNI when the CPU has it and the weights fit
/// (int8 with zero point 0, uint8 with 128), else int16 pairs. Batch 1 streams the weights as bytes
/// (<see cref="QGemv"/>); larger batches widen the activations and run the tiled product (<see cref="QGemm"/>).
/// Fixed shapes: one instance per plan. Constant weights that are mostly zero run sparse (<see cref="QuantizedSparseLinear"/>).
/// </summary>
public sealed unsafe class QuantizedLinear
{
    private readonly QIsa _isa;
    private readonly int _m, _k, _n, _groups;
    private readonly bool _weightsSigned, _inputSigned;
    private int _inputZero;
    private readonly QPackedMatrix? _packed;
    private readonly byte[]? _gemvBytes;
    private readonly int[]? _weightZero;
    private readonly int[] _words;
    private readonly QuantizedOutput _output;
    private readonly QuantizedSparseLinear? _sparse;

    /// <summary>The output stage as given.</summary>
    public QuantizedOutput Output { get; }

    /// <summary>
    /// A layer for x [<paramref name="m"/>, <paramref name="k"/>] times op(W)[K, N], W stored [K, N] or, with
    /// <paramref name="transB"/>, [N, K]; <paramref name="weightZero"/> has 1 or N values.
    /// </summary>
    public QuantizedLinear(int m, int k, int n, ReadOnlySpan<byte> w, bool weightsSigned, ReadOnlySpan<int> weightZero, bool transB,
        bool inputSigned, int inputZero, QuantizedOutput output)
        : this(m, k, n, w, weightsSigned, weightZero, transB, inputSigned, inputZero, output, null, allowSparse: true) { }

    /// <summary>As above on a given family (tests), optionally never sparse.</summary>
    internal QuantizedLinear(int m, int k, int n, ReadOnlySpan<byte> w, bool weightsSigned, ReadOnlySpan<int> weightZero, bool transB,
        bool inputSigned, int inputZero, QuantizedOutput output, QIsa? isa, bool allowSparse)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (m < 0 || k < 0 || n < 0) throw new ArgumentOutOfRangeException(nameof(m), "sizes must not be negative");
        if (w.Length < (long)k * n) throw new ArgumentException($"the weights have {w.Length} values but a {k}x{n} matrix needs {(long)k * n}", nameof(w));
        if (weightZero.Length != 1 && weightZero.Length != n)
            throw new ArgumentException($"the weight zero points have {weightZero.Length} values; they must have 1 or {n}", nameof(weightZero));
        if (output.Channels != n) throw new ArgumentException($"the output stage has {output.Channels} channels but the layer has {n} outputs", nameof(output));
        _m = m; _k = k; _n = n;
        _weightsSigned = weightsSigned;
        _inputSigned = inputSigned;
        _inputZero = inputZero;
        Output = output;
        int ldw = transB ? k : n;
        var wb = new QBytes(w, weightsSigned, weightZero);
        if (allowSparse && isa is null) _sparse = QuantizedSparseLinear.Choose(m, k, n, w, weightsSigned, weightZero, transB, inputSigned, inputZero, output);
        _isa = isa ?? QIsas.Best(QPack.FitsVnni(weightsSigned, weightZero));
        // Batch 1 streams the weights: the split family has no matrix-vector path, the pairs one does.
        if (m == 1 && _isa == QIsa.Split256) _isa = QIsa.Vector256;
        _groups = QPack.Groups(_isa, k);
        _output = output;
        _words = [];
        if (_sparse is not null) return;
        if (_isa.Bytes())
        {
            _packed = QPack.WeightsAsB(_isa, k, n, wb, ldw, transB);
            // The activations are stored shifted to uint8: Σ (x_u - z_u) w_s = Σ x_u w_s - z_u Σ w_s.
            int zu = QPack.VnniActivationZero(inputZero, inputSigned);
            var delta = new int[n];
            for (int o = 0; o < n; o++) delta[o] = unchecked(-zu * _packed.SignedSums[o]);
            _output = output.WithBiasAdded(delta);
        }
        else if (m == 1)
        {
            _gemvBytes = QGemv.PackBytes(k, n, w, ldw, transB);
            bool anyZero = false;
            foreach (int z in weightZero) anyZero |= z != 0;
            if (anyZero)
            {
                _weightZero = GC.AllocateArray<int>(n + 8, pinned: true);
                for (int o = 0; o < n; o++) _weightZero[o] = weightZero.Length == 1 ? weightZero[0] : weightZero[o];
            }
        }
        else _packed = QPack.WeightsAsB(_isa, k, n, wb, ldw, transB);
        // Activation words, with slack for the vectorized widening's last vector.
        _words = GC.AllocateArray<int>(Math.Max(1, m) * _groups + 16, pinned: true);
    }

    /// <summary>
    /// Sets the activation zero point of the following runs (for a zero point known only at run time, as dynamic
    /// quantization computes it); the VNNI family's bias correction follows it.
    /// </summary>
    public void SetInputZero(int zero)
    {
        if (zero == _inputZero) return;
        _inputZero = zero;
        _sparse?.SetInputZero(zero);
        if (_packed is null || !_isa.Bytes()) return;
        int zu = QPack.VnniActivationZero(zero, _inputSigned);
        var bias = _output.MutableBias;
        for (int o = 0; o < _n; o++) bias[o] = unchecked(Output.Bias[o] - zu * _packed.SignedSums[o]);
    }

    /// <summary>A short name for profiles, e.g. "qgemm-avx2(u8)" or "qgemv-avxvnni(f32)".</summary>
    public string Describe() => _sparse?.Describe()
        ?? $"{(_m == 1 ? "qgemv" : "qgemm")}-{_isa.Name()}({Output.Describe()})";

    /// <summary>
    /// y = stage(x W): x is [M, K] bytes (int8 or uint8 as constructed), y [M, N] in the output stage's type, as bytes
    /// (floats reinterpreted).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Forward(ReadOnlySpan<byte> x, Span<byte> y, WorkerPool? pool)
    {
        if (x.Length < (long)_m * _k) throw new ArgumentException($"x has {x.Length} values but needs {(long)_m * _k}", nameof(x));
        if (y.Length < (long)_m * _n * Output.ElementSize) throw new ArgumentException($"y has {y.Length} bytes but needs {(long)_m * _n * Output.ElementSize}", nameof(y));
        if (_m == 0 || _n == 0) return;
        if (_sparse is not null)
        {
            _sparse.Forward(x, y, pool);
            return;
        }
        fixed (byte* px = x, py = y)
        fixed (int* words = _words)
        {
            var st = _output.Store(py, _n, channelsAreRows: false);
            if (_m == 1 && (_gemvBytes is not null || _isa.Bytes()))
            {
                QPack.ActivationRows(_isa, px, _k, 1, _k, _inputSigned, _inputZero, words, _groups);
                if (_weightZero is not null)
                {
                    int sum = 0;
                    short* xs = (short*)words;
                    for (int t = 0; t < _k; t++) sum += xs[t];
                    st.WeightZero = (int*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_weightZero));
                    st.ActSum = sum;
                }
                byte* w = _gemvBytes is not null ? (byte*)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(_gemvBytes)) : (byte*)_packed!.Data;
                QGemv.Run(_isa, words, _groups, w, _weightsSigned, _n, st, pool);
                GC.KeepAlive(_weightZero);
                GC.KeepAlive(_gemvBytes);
            }
            else
            {
                // uint8 activations are already the byte families' words when K fills whole words.
                bool inPlace = _isa.Bytes() && !_inputSigned && _k % 4 == 0;
                if (!inPlace) QPack.ActivationRows(_isa, px, _k, _m, _k, _inputSigned, _inputZero, words, _groups);
                var args = new QGemmArgs
                {
                    M = _m, N = _n, Groups = _groups,
                    A = inPlace ? (int*)px : words, Lda = _groups,
                    PackedB = _packed!.Data,
                    Store = st,
                };
                args.OneSegment();
                QGemm.Run(_isa, args, pool);
            }
        }
        GC.KeepAlive(_packed);
        GC.KeepAlive(_output);
    }
}
