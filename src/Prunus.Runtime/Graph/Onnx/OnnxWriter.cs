using Google.Protobuf;
using Prunus.Graph.Onnx.Proto;
using Prunus.Tensors;

namespace Prunus.Graph.Onnx;

/// <summary>
/// Writes a <see cref="ModelGraph"/> as an ONNX model: names, doc strings, value types, metadata and model-local
/// functions are kept; tensors are stored as raw_data. A protobuf message holds at most 2 GB, so when the tensor data
/// would not fit, <see cref="Save"/> moves initializers into an external data file on its own (and
/// <see cref="ToBytes"/>, which has no place to put them, refuses).
/// </summary>
public static class OnnxWriter
{
    /// <summary>Tensor data above this many bytes does not fit in one message with room to spare for the graph.</summary>
    internal const long InlineLimit = int.MaxValue - (64L << 20);

    /// <summary>Initializers from this size go external when <see cref="Save"/> has to move data out of the message.</summary>
    internal const long AutomaticExternalThreshold = 1024;

    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically: everything goes to temporary files in the same folder
    /// that are renamed into place only once complete, so a failed save never leaves a half-written model (and a
    /// model can be saved over the file it was loaded from). With external data, the data file is written the same way
    /// and renamed before the model. If the tensors exceed what one protobuf message can hold and no
    /// <see cref="OnnxWriteOptions.ExternalDataThreshold"/> is given, initializers of 1 KiB and more go external.
    /// </summary>
    public static void Save(ModelGraph graph, string path, OnnxWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(path);
        options ??= new OnnxWriteOptions();
        string full = Path.GetFullPath(path);
        string directory = Path.GetDirectoryName(full) ?? throw new ArgumentException($"'{path}' is not a file path", nameof(path));
        string fileName = Path.GetFileName(full);
        if (fileName.Length == 0) throw new ArgumentException($"'{path}' names a folder, not a file", nameof(path));

        long? threshold = options.ExternalDataThreshold;
        if (threshold is < 0) throw new ArgumentException("ExternalDataThreshold must not be negative", nameof(options));
        if (threshold is null && TensorBytes(graph) > InlineLimit) threshold = AutomaticExternalThreshold;

        string? dataName = null, dataTemp = null, modelTemp = null;
        try
        {
            ModelProto proto;
            if (threshold is long bytes)
            {
                dataName = options.ExternalDataFileName ?? fileName + ".data";
                if (dataName.Length == 0 || dataName != Path.GetFileName(dataName) || dataName is "." or ".." || dataName == fileName)
                    throw new ArgumentException($"external data file name '{dataName}' must be a plain file name other than the model's", nameof(options));
                dataTemp = TempPath(directory, dataName);
                long written;
                using (var data = new FileStream(dataTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
                {
                    var export = new OnnxExport(options, data, dataName, bytes);
                    proto = export.Model(graph);
                    CheckInline(export.InlineTensorBytes, "lower OnnxWriteOptions.ExternalDataThreshold");
                    data.Flush(flushToDisk: true);
                    written = export.ExternalBytes;
                }
                if (written == 0)
                {
                    File.Delete(dataTemp);
                    dataTemp = null;
                }
            }
            else
                proto = new OnnxExport(options).Model(graph);

            modelTemp = TempPath(directory, fileName);
            using (var model = new FileStream(modelTemp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                proto.WriteTo(model);
                model.Flush(flushToDisk: true);
            }
            if (dataTemp is not null)
            {
                File.Move(dataTemp, Path.Combine(directory, dataName!), overwrite: true);
                dataTemp = null;
            }
            File.Move(modelTemp, full, overwrite: true);
            modelTemp = null;
        }
        finally
        {
            if (dataTemp is not null) TryDelete(dataTemp);
            if (modelTemp is not null) TryDelete(modelTemp);
        }
    }

    /// <summary>The model as the bytes of an ONNX file, every tensor inline.</summary>
    public static byte[] ToBytes(ModelGraph graph, OnnxWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        options ??= new OnnxWriteOptions();
        if (options.ExternalDataThreshold is not null)
            throw new ArgumentException("external data needs a file beside the model: use OnnxWriter.Save", nameof(options));
        long tensorBytes = TensorBytes(graph);
        if (tensorBytes > InlineLimit)
            throw new ModelException($"the model holds {tensorBytes} bytes of tensor data, more than one ONNX file can hold (2 GB); save it with OnnxWriter.Save, which puts large tensors in an external data file");
        return new OnnxExport(options).Model(graph).ToByteArray();
    }

    private static void CheckInline(long inlineBytes, string remedy)
    {
        if (inlineBytes > InlineLimit)
            throw new ModelException($"{inlineBytes} bytes of tensor data remain inside the model file, more than one ONNX file can hold (2 GB); {remedy}");
    }

    /// <summary>All tensor bytes of the graph: initializers, tensor attributes, subgraphs and function bodies.</summary>
    internal static long TensorBytes(ModelGraph g)
    {
        long total = 0;
        foreach (var t in g.Initializers.Values) total += Bytes(t);
        foreach (var n in g.Nodes) total += AttributeBytes(n);
        foreach (var f in g.Metadata.Functions)
        {
            foreach (var n in f.Nodes) total += AttributeBytes(n);
            foreach (var v in f.AttributeDefaults.Values) total += AttributeBytes(v);
        }
        return total;

        static long Bytes(Tensor t) => (long)t.Length * t.Type.SizeOf();
        static long AttributeBytes(object owner) => owner switch
        {
            Node n => n.Attributes.Values.Sum(AttributeBytes),
            AttributeValue v => (v.Tensor is null ? 0 : Bytes(v.Tensor)) + v.TensorList.Sum(Bytes)
                + (v.Graph is null ? 0 : TensorBytes(v.Graph)) + v.GraphList.Sum(TensorBytes),
            _ => 0,
        };
    }

    private static string TempPath(string directory, string fileName) =>
        Path.Combine(directory, $".{fileName}.{Guid.NewGuid():N}.tmp");

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
