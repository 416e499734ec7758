namespace Prunus.Graph.Onnx;

/// <summary>Choices for <see cref="OnnxWriter"/>.</summary>
public sealed class OnnxWriteOptions
{
    /// <summary>Default-domain opset version to stamp on the model instead of its own (the graph is not converted).</summary>
    public long? Opset { get; init; }

    /// <summary>
    /// Write a float32 initializer as a sparse initializer when more than this fraction of its elements are zero and
    /// the sparse form (values plus int64 linear indices) is smaller. Null (the default) writes every initializer
    /// densely. ONNX Runtime densifies sparse initializers when it loads the model, so this saves file size only.
    /// </summary>
    public double? SparseZeroFraction { get; init; }

    /// <summary>
    /// Initializers of at least this many bytes go into one external data file beside the model
    /// (<see cref="OnnxWriter.Save"/> only). Null (the default) keeps them inside the model file, unless the model is
    /// too large for one protobuf message.
    /// </summary>
    public long? ExternalDataThreshold { get; init; }

    /// <summary>Name of the external data file, in the model's folder; by default the model file name plus ".data".</summary>
    public string? ExternalDataFileName { get; init; }
}
