using System.Text;
using Prunus.Graph.Ops;

namespace Prunus.Tests.Conformance;

/// <summary>
/// Renders docs/onnx-support.md: every registered op with the opset range its implementation states
/// (<see cref="Operator.Opsets"/>) and how many backend cases using it pass, the conformance counts per folder, the
/// known failures with their reasons and the missing ops that would unlock the most cases.
/// </summary>
public static class OnnxSupportDoc
{
    /// <summary>The command that regenerates the file (from the repository root).</summary>
    public const string Command =
        "PRUNUS_UPDATE_DOCS=1 dotnet test tests/Prunus.Tests --filter FullyQualifiedName~OnnxConformanceTests";

    /// <summary>The Markdown text of docs/onnx-support.md for the walk <paramref name="report"/>.</summary>
    public static string Render(ConformanceReport report)
    {
        var sb = new StringBuilder();
        sb.AppendLine("# ONNX support");
        sb.AppendLine();
        sb.AppendLine("Generated from the op registry and the ONNX backend conformance walk; do not edit by hand. Regenerate from the");
        sb.AppendLine("repository root (with libonnx-testdata installed by `scripts/setup.sh`) with:");
        sb.AppendLine();
        sb.AppendLine("```sh");
        sb.AppendLine(Command);
        sb.AppendLine("```");
        sb.AppendLine();
        sb.AppendLine("## Operators");
        sb.AppendLine();
        sb.AppendLine("Opsets: the default-domain opset versions of a model whose form of the op (attributes, and inputs that");
        sb.AppendLine($"replaced attributes) Prunus implements, checked against the ONNX definitions through opset {OpsetRange.Newest}.");
        sb.AppendLine("Backend cases: cases of the conformance walk whose model uses the op, passed / run (run = every op of the case is");
        sb.AppendLine("supported; a failure may be another op's).");
        sb.AppendLine();
        sb.AppendLine("| op | opsets | backend cases passed / run |");
        sb.AppendLine("| --- | --- | ---: |");
        var run = report.Results.Where(r => r.Outcome != CaseOutcome.Skipped).ToList();
        foreach (var name in OpRegistry.Supported)
        {
            var op = OpRegistry.Find("", name)!;
            var using_ = run.Where(r => r.Ops.Contains(name)).ToList();
            string opsets = op.Opsets?.ToString() ?? "not stated";
            sb.AppendLine($"| {name} | {opsets} | {using_.Count(r => r.Outcome == CaseOutcome.Passed)} / {using_.Count} |");
        }
        sb.AppendLine();
        sb.AppendLine($"{OpRegistry.Supported.Count} operators.");
        sb.AppendLine();
        sb.AppendLine("## Conformance");
        sb.AppendLine();
        sb.AppendLine("The ONNX backend test cases of Debian's libonnx-testdata (`/usr/share/libonnx-testdata/data`), walked by");
        sb.AppendLine("`tests/Prunus.Tests/Conformance/OnnxConformanceTests.cs`. A case runs when every op of its model (and of its");
        sb.AppendLine("subgraphs and functions) is registered and its inputs and outputs have element types Prunus stores; it passes");
        sb.AppendLine("when every output of every test data set has the expected type and shape and values within rtol 1e-3, atol 1e-7");
        sb.AppendLine("(the ONNX backend defaults; integers and booleans exactly, NaN equal to NaN). Other cases are skipped. Inputs that");
        sb.AppendLine("decide shapes (Reshape's shape, Resize's scales, ...) are bound as constants, since a plan is compiled for known shapes.");
        sb.AppendLine();
        sb.Append(report.CountsTable());
        sb.AppendLine();
        sb.AppendLine("## Known failures");
        sb.AppendLine();
        if (report.Known.Count == 0) sb.AppendLine("None.");
        sb.AppendLine("Cases listed in `tests/Prunus.Tests/Conformance/KnownFailures.cs`, by reason:");
        sb.AppendLine();
        foreach (var group in report.Known.GroupBy(k => k.Value).OrderBy(g => g.Key, StringComparer.Ordinal))
            sb.AppendLine($"- {group.Key}: {string.Join(", ", group.Select(k => k.Key).Order(StringComparer.Ordinal).Select(k => $"`{k}`"))}.");
        sb.AppendLine();
        sb.AppendLine("## Missing ops that skip the most cases");
        sb.AppendLine();
        sb.AppendLine("| op | skipped cases that need it | of which need nothing else |");
        sb.AppendLine("| --- | ---: | ---: |");
        foreach (var (op, cases, alone) in report.MissingOps.Take(30))
            sb.AppendLine($"| {op} | {cases} | {alone} |");
        return sb.ToString();
    }
}
