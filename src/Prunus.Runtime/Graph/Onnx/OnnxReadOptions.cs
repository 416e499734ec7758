namespace Prunus.Graph.Onnx;

/// <summary>Limits and locations for <see cref="OnnxReader"/>.</summary>
public sealed class OnnxReadOptions
{
    /// <summary>
    /// Most bytes of tensor data the whole model may decode to (initializers, densified sparse tensors, tensor
    /// attributes, subgraphs). Checked before anything is allocated, so a corrupt or hostile file cannot exhaust memory.
    /// </summary>
    public long MaxTensorBytes { get; init; } = 4L << 30;

    /// <summary>Most bytes one tensor may decode to.</summary>
    public long MaxTensorBytesEach { get; init; } = int.MaxValue;

    /// <summary>
    /// Folder that external tensor data locations are relative to. Defaults to the model file's folder when loading
    /// from a path; must be set to load a model with external data from a stream or byte array.
    /// </summary>
    public string? ExternalDataDirectory { get; init; }
}
