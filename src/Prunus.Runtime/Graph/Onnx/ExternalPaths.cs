namespace Prunus.Graph.Onnx;

/// <summary>
/// Resolves an external data location against the model's folder. A location must stay inside that folder: absolute
/// paths, drive letters, ".." segments and symbolic links are refused, so a model file cannot make Prunus read (or
/// write) files elsewhere on the machine.
/// </summary>
internal static class ExternalPaths
{
    /// <summary>The full path of <paramref name="location"/> inside <paramref name="directory"/>, or the error from <paramref name="error"/>.</summary>
    public static string Resolve(string directory, string location, Func<string, Exception> error)
    {
        if (location.Length == 0) throw error("the external data location is empty");
        if (location.Contains('\0')) throw error("the external data location contains a NUL character");
        string portable = location.Replace('\\', '/');
        if (portable.StartsWith('/') || Path.IsPathRooted(location) || (location.Length >= 2 && location[1] == ':'))
            throw error($"external data location '{location}' is an absolute path; it must be relative to the model's folder");
        var segments = portable.Split('/');
        if (segments.Contains(".."))
            throw error($"external data location '{location}' leaves the model's folder ('..'); it must name a file inside it");

        string root = Path.GetFullPath(directory);
        string rootWithSeparator = Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar;
        string full = Path.GetFullPath(Path.Combine(root, Path.Combine(segments.Where(s => s.Length > 0 && s != ".").ToArray())));
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        if (!full.StartsWith(rootWithSeparator, comparison))
            throw error($"external data location '{location}' resolves outside the model's folder");

        // A link anywhere along the way could point outside the folder.
        string current = root;
        foreach (var segment in segments.Where(s => s.Length > 0 && s != "."))
        {
            current = Path.Combine(current, segment);
            FileSystemInfo info = Directory.Exists(current) ? new DirectoryInfo(current) : new FileInfo(current);
            if (info.Exists && info.LinkTarget is not null)
                throw error($"external data location '{location}' goes through the symbolic link '{current}'; copy the data file into the model's folder");
        }
        return full;
    }
}
