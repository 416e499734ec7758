namespace Prunus.Cli.Commands;

/// <summary>
/// Checks made on output paths before a command does any work, so that a long run does not end in a failed save and
/// an output never replaces an input. The writes themselves are atomic in the library (temporary file, then rename).
/// </summary>
public static class OutputPaths
{
    /// <summary>
    /// Checks that <paramref name="path"/> (given with <paramref name="option"/>) can become a file: it is none of
    /// <paramref name="inputs"/> (path and what it is, e.g. "a dataset file"), not a folder, and its folder exists or can
    /// be created and is writable.
    /// </summary>
    public static void CheckFile(string option, string path, IEnumerable<(string Path, string What)> inputs)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new UsageException($"{option} needs a file path");
        var full = Path.GetFullPath(path);
        foreach (var (input, what) in inputs)
            if (SameFile(full, input))
                throw new UsageException($"{option} '{path}' is {what}; choose another path (inputs are never overwritten)");
        if (Directory.Exists(full)) throw new UsageException($"{option} '{path}' is a folder; give a file path");
        CheckWritableFolder(option, path, Path.GetDirectoryName(full) ?? full);
    }

    /// <summary>Checks that <paramref name="dir"/> is a folder, or can be created, and is writable.</summary>
    public static void CheckFolder(string option, string dir)
    {
        if (string.IsNullOrWhiteSpace(dir)) throw new UsageException($"{option} needs a folder path");
        var full = Path.GetFullPath(dir);
        if (File.Exists(full)) throw new UsageException($"{option} '{dir}' is a file, not a folder");
        CheckWritableFolder(option, dir, full);
    }

    /// <summary>True when both paths name the same file (by full path).</summary>
    public static bool SameFile(string a, string b) =>
        string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), OperatingSystem.IsWindows() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal);

    private static void CheckWritableFolder(string option, string given, string folder)
    {
        // The folder may not exist yet (it is created when writing): check its nearest existing ancestor instead.
        var existing = folder;
        while (!Directory.Exists(existing))
        {
            if (File.Exists(existing)) throw new UsageException($"{option} '{given}': '{existing}' is a file, not a folder");
            existing = Path.GetDirectoryName(existing) ?? throw new UsageException($"{option} '{given}': no such folder");
        }
        var probe = Path.Combine(existing, $".prunus-write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var why = e is UnauthorizedAccessException ? "permission denied" : e.Message.TrimEnd('.');
            throw new IOException($"{option} '{given}': cannot write in folder '{existing}' ({why})", e);
        }
    }
}
