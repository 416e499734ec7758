using System.Globalization;
using System.Text;
using Prunus.Graph;

namespace Prunus.Pruning.Structured;

/// <summary>One group's line in a structured pruning report.</summary>
/// <param name="Group">Group id.</param>
/// <param name="Root">The group's first producer.</param>
/// <param name="ChannelsBefore">Channels before pruning.</param>
/// <param name="ChannelsAfter">Channels after pruning.</param>
/// <param name="Reason">Why the group was left alone, when it may not be pruned; empty otherwise.</param>
public sealed record GroupPruningReport(int Group, string Root, int ChannelsBefore, int ChannelsAfter, string Reason)
{
    /// <summary>Whether the group could be pruned.</summary>
    public bool Prunable => Reason.Length == 0;
}

/// <summary>What structured pruning did: channels per group, parameters and FLOPs before and after.</summary>
/// <param name="Groups">Every group.</param>
/// <param name="ParametersBefore">Parameters of the original model.</param>
/// <param name="ParametersAfter">Parameters of the pruned model.</param>
/// <param name="FlopsBefore">FLOPs of the original model at <paramref name="Batch"/> (0 when they cannot be counted).</param>
/// <param name="FlopsAfter">FLOPs of the pruned model.</param>
/// <param name="Batch">Batch size of the FLOP counts.</param>
public sealed record StructuredPruningReport(IReadOnlyList<GroupPruningReport> Groups, long ParametersBefore, long ParametersAfter,
    long FlopsBefore, long FlopsAfter, int Batch)
{
    /// <summary>Fraction of the parameters removed.</summary>
    public double ParametersRemoved => ParametersBefore == 0 ? 0 : 1 - (double)ParametersAfter / ParametersBefore;
    /// <summary>Fraction of the FLOPs removed.</summary>
    public double FlopsRemoved => FlopsBefore == 0 ? 0 : 1 - (double)FlopsAfter / FlopsBefore;

    /// <summary>A plain-text table.</summary>
    public string Format()
    {
        var ci = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        int width = Math.Max(5, Groups.Count == 0 ? 0 : Groups.Max(g => g.Root.Length));
        sb.AppendLine(ci, $"{"group".PadRight(width)}  channels");
        foreach (var g in Groups)
            sb.AppendLine(ci, $"{g.Root.PadRight(width)}  {g.ChannelsBefore,4} -> {g.ChannelsAfter,-4}{(g.Prunable ? "" : $"  kept: {g.Reason}")}");
        sb.AppendLine(ci, $"parameters {ParametersBefore:N0} -> {ParametersAfter:N0} ({ParametersRemoved:P1} removed)");
        sb.Append(ci, $"FLOPs (batch {Batch}) {FlopsBefore:N0} -> {FlopsAfter:N0} ({FlopsRemoved:P1} removed)");
        return sb.ToString();
    }
}

/// <summary>A pruned model with what was removed and what it saved.</summary>
/// <param name="Graph">The smaller model (a new graph; the original is unchanged).</param>
/// <param name="Selection">The channels removed.</param>
/// <param name="Report">Channels, parameters and FLOPs before and after.</param>
public sealed record StructuredPruningResult(ModelGraph Graph, ChannelSelection Selection, StructuredPruningReport Report);
