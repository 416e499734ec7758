namespace Prunus.Tests.Conformance;

/// <summary>How a backend case ended.</summary>
public enum CaseOutcome
{
    /// <summary>Every test data set matched its expected outputs.</summary>
    Passed,
    /// <summary>Supported, but it threw or an output differed.</summary>
    Failed,
    /// <summary>Not run: it needs an op Prunus does not have, or values Prunus cannot store.</summary>
    Skipped,
}

/// <summary>
/// The result of one case: <see cref="Detail"/> says what differed (failures) or why it was not run (skips);
/// <see cref="MissingOps"/> lists the op types it needs that the registry lacks; <see cref="Ops"/> every op type it
/// uses (empty when the model did not load).
/// </summary>
public sealed record CaseResult(BackendCase Case, CaseOutcome Outcome, string Detail, IReadOnlyList<string> MissingOps)
{
    /// <summary>Op types of the model's nodes, subgraphs and functions.</summary>
    public IReadOnlyList<string> Ops { get; init; } = [];

    /// <summary>Whether some inputs had to be bound as constants (they decide shapes at plan time).</summary>
    public bool FrozeInputs { get; init; }

    public static CaseResult Pass(BackendCase c) => new(c, CaseOutcome.Passed, "", []);
    public static CaseResult Fail(BackendCase c, string why) => new(c, CaseOutcome.Failed, why, []);
    public static CaseResult Skip(BackendCase c, string why, IReadOnlyList<string>? missing = null) => new(c, CaseOutcome.Skipped, why, missing ?? []);
}
