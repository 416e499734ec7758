namespace Prunus.Tests.Conformance;

/// <summary>
/// Backend cases whose ops are all registered but which Prunus does not (yet) pass, each with the reason. The
/// conformance test fails on any other failure, and on an entry here that no longer fails. Keep this list short:
/// fix the op instead where that is practical.
/// </summary>
public static class KnownFailures
{
    /// <summary>Case id ("folder/name") to the reason it fails.</summary>
    public static readonly IReadOnlyDictionary<string, string> Cases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
    };
}
