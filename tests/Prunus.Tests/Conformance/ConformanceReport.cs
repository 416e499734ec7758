using System.Text;

namespace Prunus.Tests.Conformance;

/// <summary>Passed, failed and skipped counts of one case folder; <see cref="KnownFailed"/> is the part of <see cref="Failed"/> that is expected.</summary>
public sealed record FolderCounts(string Folder, int Passed, int Failed, int KnownFailed, int Skipped)
{
    /// <summary>All cases of the folder.</summary>
    public int Total => Passed + Failed + Skipped;
}

/// <summary>
/// The outcome of a conformance walk: counts per folder, failures (expected or not), known failures that no longer
/// fail, and the missing ops that skip the most cases.
/// </summary>
public sealed class ConformanceReport
{
    /// <summary>Every case's result.</summary>
    public IReadOnlyList<CaseResult> Results { get; }
    /// <summary>The known failures the walk was judged against (case id to reason).</summary>
    public IReadOnlyDictionary<string, string> Known { get; }

    public ConformanceReport(IReadOnlyList<CaseResult> results, IReadOnlyDictionary<string, string> known)
    {
        Results = results;
        Known = known;
    }

    /// <summary>Counts per folder, in walk order.</summary>
    public IReadOnlyList<FolderCounts> Folders => Results.GroupBy(r => r.Case.Folder).Select(g => new FolderCounts(g.Key,
        g.Count(r => r.Outcome == CaseOutcome.Passed), g.Count(r => r.Outcome == CaseOutcome.Failed),
        g.Count(r => r.Outcome == CaseOutcome.Failed && Known.ContainsKey(r.Case.Id)), g.Count(r => r.Outcome == CaseOutcome.Skipped))).ToList();

    /// <summary>Failures not in the known-failures list: each is a bug to fix.</summary>
    public IReadOnlyList<CaseResult> UnexpectedFailures => Results.Where(r => r.Outcome == CaseOutcome.Failed && !Known.ContainsKey(r.Case.Id)).ToList();

    /// <summary>Known failures that passed, were skipped or were not found: the list must be brought up to date.</summary>
    public IReadOnlyList<string> StaleKnownFailures
    {
        get
        {
            var failed = Results.Where(r => r.Outcome == CaseOutcome.Failed).Select(r => r.Case.Id).ToHashSet(StringComparer.Ordinal);
            return Known.Keys.Where(k => !failed.Contains(k)).Order(StringComparer.Ordinal).ToList();
        }
    }

    /// <summary>Missing op types by how many skipped cases need them, and how many need nothing else.</summary>
    public IReadOnlyList<(string Op, int Cases, int Alone)> MissingOps => Results.SelectMany(r => r.MissingOps.Select(op => (op, alone: r.MissingOps.Count == 1)))
        .GroupBy(x => x.op).Select(g => (g.Key, g.Count(), g.Count(x => x.alone)))
        .OrderByDescending(x => x.Item2).ThenBy(x => x.Key, StringComparer.Ordinal).ToList();

    /// <summary>The counts as a Markdown table.</summary>
    public string CountsTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine("| folder | cases | passed | failed (known) | skipped |");
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: |");
        foreach (var f in Folders)
            sb.AppendLine($"| {f.Folder} | {f.Total} | {f.Passed} | {f.Failed} ({f.KnownFailed}) | {f.Skipped} |");
        int p = Folders.Sum(f => f.Passed), fl = Folders.Sum(f => f.Failed), k = Folders.Sum(f => f.KnownFailed), s = Folders.Sum(f => f.Skipped);
        sb.AppendLine($"| all | {p + fl + s} | {p} | {fl} ({k}) | {s} |");
        return sb.ToString();
    }

    /// <summary>The full report: counts, unexpected failures, known failures, stale entries, missing ops, skips.</summary>
    public string Text()
    {
        var sb = new StringBuilder();
        sb.AppendLine("# ONNX backend conformance");
        sb.AppendLine();
        sb.Append(CountsTable());
        sb.AppendLine();
        sb.AppendLine($"{Results.Count(r => r.FrozeInputs && r.Outcome != CaseOutcome.Skipped)} cases ran with inputs that decide shapes (Reshape's shape, Resize's scales, ...) bound as constants, since a plan is compiled for known shapes.");
        Section(sb, "Unexpected failures", UnexpectedFailures.Select(r => $"{r.Case.Id}: {r.Detail}"));
        Section(sb, "Known failures", Results.Where(r => r.Outcome == CaseOutcome.Failed && Known.ContainsKey(r.Case.Id))
            .Select(r => $"{r.Case.Id}: {Known[r.Case.Id]} (now: {r.Detail})"));
        Section(sb, "Known failures that no longer fail (remove them from the list)", StaleKnownFailures);
        Section(sb, "Missing ops (skipped cases needing each; needing only it)", MissingOps.Select(m => $"{m.Op}: {m.Cases}; {m.Alone}"));
        Section(sb, "Other skips", Results.Where(r => r.Outcome == CaseOutcome.Skipped && r.MissingOps.Count == 0).Select(r => $"{r.Case.Id}: {r.Detail}"));
        Section(sb, "Passed", Results.Where(r => r.Outcome == CaseOutcome.Passed).Select(r => r.Case.Id));
        return sb.ToString();
    }

    private static void Section(StringBuilder sb, string title, IEnumerable<string> lines)
    {
        var list = lines.ToList();
        sb.AppendLine();
        sb.AppendLine($"## {title} ({list.Count})");
        sb.AppendLine();
        foreach (var l in list) sb.AppendLine($"- {l}");
    }
}
