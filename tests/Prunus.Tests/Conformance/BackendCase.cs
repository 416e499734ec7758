namespace Prunus.Tests.Conformance;

/// <summary>
/// One case of the ONNX backend test data: a folder holding model.onnx and test_data_set_N folders, each with
/// input_K.pb and output_K.pb (serialized TensorProtos, numbered in the order of the graph's inputs and outputs).
/// </summary>
public sealed record BackendCase(string Folder, string Name, string Directory)
{
    /// <summary>"folder/name", the key of the known-failures list and of reports.</summary>
    public string Id => $"{Folder}/{Name}";

    /// <summary>The model file.</summary>
    public string ModelPath => Path.Combine(Directory, "model.onnx");

    /// <summary>The test data set folders, by their number.</summary>
    public IReadOnlyList<string> DataSets =>
        System.IO.Directory.Exists(Directory)
            ? System.IO.Directory.GetDirectories(Directory, "test_data_set_*").OrderBy(d => Number(d, "test_data_set_")).ToList()
            : [];

    /// <summary>The files <paramref name="prefix"/>K.pb of a data set, by K.</summary>
    public static IReadOnlyList<string> Files(string dataSet, string prefix) =>
        System.IO.Directory.GetFiles(dataSet, prefix + "*.pb").OrderBy(f => Number(f, prefix)).ToList();

    private static int Number(string path, string prefix)
    {
        var name = Path.GetFileNameWithoutExtension(path);
        return int.TryParse(name.AsSpan(prefix.Length), out int n) ? n : int.MaxValue;
    }

    /// <inheritdoc/>
    public override string ToString() => Id;
}
