using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Quantization.Static;

/// <summary>A bias stored as int32 with scale s_x · s_w; its float values can be changed (bias correction) and requantized in place.</summary>
public sealed class QuantizedBias
{
    private readonly Tensor _stored;

    /// <summary>The int32 initializer's name.</summary>
    public string Name { get; }
    /// <summary>The scale of each output channel (s_x · s_w[k], as stored in float).</summary>
    public float[] Scales { get; }
    /// <summary>The float bias the int32 values stand for.</summary>
    public float[] Values { get; private set; }

    internal QuantizedBias(string name, Tensor stored, float[] scales, float[] values)
    {
        Name = name;
        _stored = stored;
        Scales = scales;
        Values = values;
        Set(values);
    }

    /// <summary>Replaces the float bias and writes its int32 form into the initializer.</summary>
    public void Set(float[] values)
    {
        if (values.Length != Scales.Length) throw new ArgumentException($"a bias of {Scales.Length} channels cannot take {values.Length} values");
        Values = (float[])values.Clone();
        var q = _stored.Span<int>();
        for (int k = 0; k < values.Length; k++) q[k] = QuantMath.QuantizeInt32(values[k], Scales[k]);
    }
}

/// <summary>
/// A graph in QDQ form made by <see cref="QdqInsertion"/>, with what later steps need: each quantized layer's node in
/// the new graph and its int32 bias.
/// </summary>
public sealed class QdqModel
{
    /// <summary>The QDQ graph.</summary>
    public ModelGraph Graph { get; }
    /// <summary>Each quantized layer's node in <see cref="Graph"/> (its output 0 is the product before any activation).</summary>
    public IReadOnlyDictionary<QuantizableLayer, Node> Nodes { get; }
    /// <summary>The int32 biases of the quantized layers that have one.</summary>
    public IReadOnlyDictionary<QuantizableLayer, QuantizedBias> Biases { get; }
    /// <summary>The quantized activations: tensor name (in the float graph) to the tensor whose parameters it uses.</summary>
    public IReadOnlyDictionary<string, string> Points { get; }

    internal QdqModel(ModelGraph graph, IReadOnlyDictionary<QuantizableLayer, Node> nodes, IReadOnlyDictionary<QuantizableLayer, QuantizedBias> biases,
        IReadOnlyDictionary<string, string> points)
    {
        Graph = graph;
        Nodes = nodes;
        Biases = biases;
        Points = points;
    }
}
