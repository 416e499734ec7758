using System.Diagnostics;
using Xunit.Abstractions;

namespace Prunus.Tests.Conformance;

/// <summary>
/// Walks every case of the ONNX backend test data (libonnx-testdata): every case whose ops Prunus has must match its
/// expected outputs, except the cases of <see cref="KnownFailures"/>. Writes the report to the test output and to
/// artifacts/onnx-conformance.md; with PRUNUS_UPDATE_DOCS=1 it also rewrites docs/onnx-support.md.
/// </summary>
public class OnnxConformanceTests(ITestOutputHelper output)
{
    /// <summary>Environment variable that makes the walk rewrite docs/onnx-support.md.</summary>
    public const string UpdateDocsVariable = "PRUNUS_UPDATE_DOCS";

    [BackendFact]
    public void Every_supported_backend_case_matches_its_expected_outputs()
    {
        var clock = Stopwatch.StartNew();
        var results = BackendTestData.AllCases().Select(ConformanceRunner.Run).ToList();
        var report = new ConformanceReport(results, KnownFailures.Cases);
        var text = report.Text();
        output.WriteLine($"walked {results.Count} cases in {clock.Elapsed.TotalSeconds:0.0} s");
        output.WriteLine(text);

        var root = RepositoryRoot.Find();
        Directory.CreateDirectory(Path.Combine(root, "artifacts"));
        File.WriteAllText(Path.Combine(root, "artifacts", "onnx-conformance.md"), text);
        if (Environment.GetEnvironmentVariable(UpdateDocsVariable) == "1")
            File.WriteAllText(Path.Combine(root, "docs", "onnx-support.md"), OnnxSupportDoc.Render(report));

        Assert.True(results.Count > 0, "no backend cases found");
        Assert.True(report.UnexpectedFailures.Count == 0,
            $"{report.UnexpectedFailures.Count} supported case(s) fail:\n" + string.Join("\n", report.UnexpectedFailures.Select(r => $"{r.Case.Id}: {r.Detail}")));
        Assert.True(report.StaleKnownFailures.Count == 0,
            $"known failures that no longer fail; remove them from KnownFailures: {string.Join(", ", report.StaleKnownFailures)}");
    }
}
