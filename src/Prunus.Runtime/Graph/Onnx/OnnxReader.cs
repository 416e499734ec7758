using System.Text;
using Google.Protobuf;
using Prunus.Graph.Onnx.Proto;
using Prunus.Tensors;

namespace Prunus.Graph.Onnx;

/// <summary>
/// Reads ONNX model files into a <see cref="ModelGraph"/>: nodes with every attribute (subgraphs included), declared
/// inputs, outputs and value types, initializers (sparse ones densified, 16-bit floats widened to float32, external
/// data read from beside the model), model-local functions and model metadata. Training info and quantization
/// annotations are not kept. Any defect of the file is reported as a <see cref="ModelException"/>.
/// </summary>
public static class OnnxReader
{
    /// <summary>Reads the model at <paramref name="path"/>; external data is looked up in its folder.</summary>
    public static ModelGraph Load(string path, OnnxReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new OnnxReadOptions();
        var file = new FileInfo(path);
        if (!file.Exists) throw new ModelException($"ONNX file '{path}' does not exist");
        if (file.Length > int.MaxValue)
            throw new ModelException($"{file.Name} is {file.Length} bytes; an ONNX file holds at most 2 GB (larger models keep their tensors in external data files)");
        byte[] bytes = File.ReadAllBytes(path);
        string directory = options.ExternalDataDirectory ?? file.DirectoryName ?? Directory.GetCurrentDirectory();
        return Parse(bytes, file.Name, directory, options);
    }

    /// <summary>Reads a model from a stream (read to its end).</summary>
    public static ModelGraph Load(Stream stream, OnnxReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (stream.CanSeek && stream.Length - stream.Position > int.MaxValue)
            throw new ModelException("the ONNX stream is larger than 2 GB, the most an ONNX file can hold");
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        options ??= new OnnxReadOptions();
        return Parse(new ArraySegment<byte>(buffer.GetBuffer(), 0, (int)buffer.Length), "the ONNX stream", options.ExternalDataDirectory, options);
    }

    /// <summary>Reads a model from the bytes of an ONNX file.</summary>
    public static ModelGraph Load(byte[] bytes, OnnxReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        options ??= new OnnxReadOptions();
        return Parse(bytes, "the ONNX data", options.ExternalDataDirectory, options);
    }

    /// <summary>
    /// Reads one serialized TensorProto (the format of the ONNX backend test data, test_data_set_*/input_*.pb).
    /// A tensor with external data is looked up in the file's folder.
    /// </summary>
    public static Tensor LoadTensor(string path, OnnxReadOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        options ??= new OnnxReadOptions();
        var file = new FileInfo(path);
        if (!file.Exists) throw new ModelException($"tensor file '{path}' does not exist");
        if (file.Length > int.MaxValue) throw new ModelException($"{file.Name} is {file.Length} bytes, more than a protobuf message can hold");
        TensorProto proto;
        try
        {
            proto = TensorProto.Parser.ParseFrom(File.ReadAllBytes(path));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelException($"{file.Name} is not a valid ONNX tensor file: {e.Message}", e);
        }
        var decoder = new OnnxTensorDecoder(file.Name, options.ExternalDataDirectory ?? file.DirectoryName, options);
        return decoder.Dense(proto, proto.Name.Length > 0 ? $"tensor '{proto.Name}'" : "the tensor");
    }

    private static ModelGraph Parse(ArraySegment<byte> bytes, string source, string? directory, OnnxReadOptions options)
    {
        ModelProto proto;
        try
        {
            proto = ModelProto.Parser.ParseFrom(bytes.Array!, bytes.Offset, bytes.Count);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new ModelException($"{source} is not a valid ONNX file: {e.Message}", e);
        }
        catch (DecoderFallbackException e)
        {
            throw new ModelException($"{source} is not a valid ONNX file: a text field is not valid UTF-8", e);
        }
        if (proto.Graph is null)
            throw new ModelException($"{source} holds no graph: it is not an ONNX model (or an empty one)");
        return new OnnxImport(new OnnxTensorDecoder(source, directory, options)).Model(proto);
    }
}
