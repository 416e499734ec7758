namespace Prunus.Tests.Conformance;

/// <summary>The repository folder (the one holding Prunus.sln) above the test binaries.</summary>
public static class RepositoryRoot
{
    /// <summary>The repository root; throws when the tests do not run from inside a checkout.</summary>
    public static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Prunus.sln"))) return dir.FullName;
        throw new InvalidOperationException($"no folder with Prunus.sln above {AppContext.BaseDirectory}");
    }
}
