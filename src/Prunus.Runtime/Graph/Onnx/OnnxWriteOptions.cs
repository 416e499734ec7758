namespace Prunus.Graph.Onnx;

/// <summary>Choices for <see cref="OnnxWriter"/>.</summary>
public sealed class OnnxWriteOptions
{
    /// <summary>Default-domain opset version to stamp on the model instead of its own (the graph is not converted).</summary>
    public long? Opset { get; init; }

    /// <summary>
    /// Write a float32 initializer in a sparse form (<see cref="SparseFormat"/>) when more than this fraction of its
    /// elements are zero and the sparse form is smaller. Null (the default) writes every initializer densely. ONNX
    /// Runtime densifies sparse weights when it loads the model, so this saves file size only.
    /// </summary>
    public double? SparseZeroFraction { get; init; }

    /// <summary>The sparse form used under <see cref="SparseZeroFraction"/>; int64 sparse initializers by default.</summary>
    public SparseWeightFormat SparseFormat { get; init; } = SparseWeightFormat.Int64Indices;

    /// <summary>
    /// Initializers of at least this many bytes go into one external data file beside the model
    /// (<see cref="OnnxWriter.Save"/> only). Null (the default) keeps them inside the model file, unless the model is
    /// too large for one protobuf message.
    /// </summary>
    public long? ExternalDataThreshold { get; init; }

    /// <summary>Name of the external data file, in the model's folder; by default the model file name plus ".data".</summary>
    public string? ExternalDataFileName { get; init; }
}

/// <summary>How <see cref="OnnxWriter"/> stores a mostly-zero float32 initializer (see <see cref="OnnxWriteOptions.SparseZeroFraction"/>).</summary>
public enum SparseWeightFormat
{
    /// <summary>A sparse_initializer with int64 indices: 12 bytes per nonzero; the form the ONNX checker accepts.</summary>
    Int64Indices,
    /// <summary>
    /// A sparse_initializer with the smallest signed index type that holds its indices (int8, int16, int32 or int64),
    /// linear [NNZ] or coordinates [NNZ, rank], whichever is smaller. ONNX Runtime loads these; the ONNX checker
    /// (onnx.checker.check_model) rejects sparse indices that are not int64.
    /// </summary>
    SmallIndices,
    /// <summary>
    /// Nonzero values and one byte per gap between them, decoded by standard ops (Cast, CumSum, ConstantOfShape,
    /// ScatterElements, Reshape) that ONNX Runtime folds at load: about 5 bytes per nonzero and valid for the checker.
    /// Needs opset 11; other graphs, subgraphs and initializers that are also graph inputs fall back to
    /// <see cref="Int64Indices"/>.
    /// </summary>
    Gaps,
}
