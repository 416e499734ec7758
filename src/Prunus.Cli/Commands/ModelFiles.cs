using Prunus.Graph;
using Prunus.Graph.Onnx;

namespace Prunus.Cli.Commands;

/// <summary>Loading and saving model files for commands, with messages that name the file.</summary>
public static class ModelFiles
{
    public static ModelGraph Load(string path)
    {
        if (Directory.Exists(path)) throw new UsageException($"model '{path}' is a folder, not an ONNX file");
        if (!File.Exists(path)) throw new UsageException($"model file '{path}' does not exist");
        return OnnxReader.Load(path);
    }

    /// <summary>Runs <paramref name="work"/> on the model in <paramref name="path"/>, putting the file's name in front of a model error.</summary>
    public static T Naming<T>(string path, Func<T> work)
    {
        var name = Path.GetFileName(path);
        try { return work(); }
        catch (ModelException e) when (!e.Message.Contains(name, StringComparison.Ordinal))
        {
            throw new ModelException($"{name}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Saves atomically (the library writes a temporary file and renames it, so a failed save leaves nothing behind);
    /// the folder is created if needed. Call <see cref="OutputPaths.CheckFile"/> before the work that produces the model.
    /// </summary>
    public static void Save(ModelGraph graph, string path, string option = "--out", OnnxWriteOptions? options = null)
    {
        try
        {
            var dir = Path.GetDirectoryName(Path.GetFullPath(path));
            if (dir is not null) Directory.CreateDirectory(dir);
            OnnxWriter.Save(graph, path, options);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var why = e is UnauthorizedAccessException ? "permission denied" : e.Message.TrimEnd('.');
            throw new IOException($"{option} '{path}': the model could not be saved ({why})", e);
        }
    }
}
