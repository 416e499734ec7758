namespace Prunus.IO;

/// <summary>
/// Writes a file so that readers see either the old content or the complete new content, never a partial file:
/// the data goes to a temporary file in the same directory, which is flushed and then renamed over the target.
/// </summary>
public static class AtomicFile
{
    /// <summary>Creates or replaces <paramref name="path"/> with what <paramref name="write"/> writes to the stream.</summary>
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full) ?? ".";
        if (!Directory.Exists(dir))
            throw new DirectoryNotFoundException($"cannot write '{path}': directory '{dir}' does not exist");
        // Same directory as the target so that the rename stays on one file system and is atomic.
        var tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(fs);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }
}
