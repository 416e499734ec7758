namespace Prunus.Tests.Conformance;

/// <summary>
/// Where the ONNX backend test cases live: Debian's libonnx-testdata, installed by scripts/setup.sh. Tests that need
/// them use <see cref="BackendFactAttribute"/>, which skips them when the package is missing, unless
/// PRUNUS_REQUIRE_ONNX_TESTDATA=1, in which case they run and fail with <see cref="Root"/>'s message.
/// </summary>
public static class BackendTestData
{
    /// <summary>The folder of the package's case folders (node, simple, pytorch-converted, ...).</summary>
    public const string DefaultRoot = "/usr/share/libonnx-testdata/data";

    /// <summary>Environment variable that turns a missing package from a skip into a failure.</summary>
    public const string RequireVariable = "PRUNUS_REQUIRE_ONNX_TESTDATA";

    /// <summary>The case folders the conformance run walks, in report order ("real" holds download stubs, no models).</summary>
    public static readonly string[] Folders = ["node", "simple", "pytorch-converted", "pytorch-operator"];

    /// <summary>Whether tests must fail, rather than skip, when the data is missing.</summary>
    public static bool Required => Environment.GetEnvironmentVariable(RequireVariable) == "1";

    /// <summary>Why the data cannot be used, or null when it can.</summary>
    public static string? MissingReason =>
        Directory.Exists(Path.Combine(DefaultRoot, "node")) ? null : $"{DefaultRoot}/node does not exist (Debian package libonnx-testdata)";

    /// <summary>The data folder; throws with what to do when the package is not installed.</summary>
    public static string Root => MissingReason is { } why
        ? throw new InvalidOperationException($"the ONNX backend test data is not available: {why}; run scripts/setup.sh")
        : DefaultRoot;

    /// <summary>The case folder <paramref name="folder"/>/<paramref name="name"/> as a case.</summary>
    public static BackendCase Case(string folder, string name) => new(folder, name, Path.Combine(Root, folder, name));

    /// <summary>Every case of the walked folders, sorted by folder order and name.</summary>
    public static IEnumerable<BackendCase> AllCases() =>
        Folders.Where(f => Directory.Exists(Path.Combine(Root, f)))
            .SelectMany(f => Directory.GetDirectories(Path.Combine(Root, f)).Order(StringComparer.Ordinal)
                .Select(d => new BackendCase(f, Path.GetFileName(d), d)));

    internal static string? SkipReason() => MissingReason is { } why && !Required
        ? $"ONNX backend test data not installed ({why}); run scripts/setup.sh, or set {RequireVariable}=1 to make this a failure"
        : null;
}

/// <summary>
/// A fact that needs the ONNX backend test data: skipped (and so reported) when libonnx-testdata is not installed,
/// unless PRUNUS_REQUIRE_ONNX_TESTDATA=1, when it runs and fails with a message to run scripts/setup.sh.
/// </summary>
public sealed class BackendFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the data is missing and not required.</summary>
    public BackendFactAttribute() => Skip = BackendTestData.SkipReason();
}

/// <summary>The theory form of <see cref="BackendFactAttribute"/>.</summary>
public sealed class BackendTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when the data is missing and not required.</summary>
    public BackendTheoryAttribute() => Skip = BackendTestData.SkipReason();
}
