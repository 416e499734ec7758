using Prunus.Graph;
using Prunus.Graph.Onnx;

namespace Prunus.Cli.Commands;

/// <summary>Loading and saving model files for commands, with messages that name the file.</summary>
public static class ModelFiles
{
    public static ModelGraph Load(string path)
    {
        if (!File.Exists(path)) throw new UsageException($"model file '{path}' does not exist");
        return OnnxReader.Load(path);
    }

    /// <summary>Saves atomically; refuses to write over <paramref name="input"/> (inputs are never modified).</summary>
    public static void Save(ModelGraph graph, string path, string? input = null)
    {
        if (input is not null && Path.GetFullPath(input) == Path.GetFullPath(path))
            throw new UsageException($"--out '{path}' is the input file; choose another output path (inputs are never overwritten)");
        var dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir is not null) Directory.CreateDirectory(dir);
        OnnxWriter.Save(graph, path);
    }
}
