using Prunus.Graph;

namespace Prunus.Pruning.Structured;

/// <summary>
/// One slice of the graph that follows channel classes: along <see cref="Axis"/> of a tensor (or attribute), position
/// p carries channel class <c>Classes[p]</c> (-1: a channel no group removes). Classes are global across groups.
/// </summary>
internal sealed record MemberSlice(MemberRole Role, Node Node, string? Tensor, int Axis, int[] Classes)
{
    /// <summary>Reshape: the index of the target entry that holds the channel count.</summary>
    public int Entry { get; init; }
    /// <summary>Split: for each output, the number of positions of the input axis it takes (before pruning).</summary>
    public int[] Parts { get; init; } = [];
}

/// <summary>
/// The channel dependency groups of a graph (<see cref="ChannelDependencies.Find"/>): every group with its members, and
/// which groups may not be pruned and why. Pruning decisions refer to a group by <see cref="ChannelGroup.Id"/> and to
/// its channels by index in [0, <see cref="ChannelGroup.Channels"/>).
/// </summary>
public sealed class ChannelAnalysis
{
    internal ChannelAnalysis(ModelGraph graph, IReadOnlyList<ChannelGroup> groups, int[][] groupClasses, int[] classGroup, int[] classChannel,
        IReadOnlyList<MemberSlice> slices, IReadOnlyDictionary<string, (int Axis, int[] Classes)> values, ConstantTensors constants)
    {
        Constants = constants;
        Graph = graph;
        Groups = groups;
        GroupClasses = groupClasses;
        ClassGroup = classGroup;
        ClassChannel = classChannel;
        Slices = slices;
        Values = values;
    }

    /// <summary>The graph analysed (pruning never changes it; it prunes a copy).</summary>
    public ModelGraph Graph { get; }
    /// <summary>Every group, prunable or not, in the order their first producer runs.</summary>
    public IReadOnlyList<ChannelGroup> Groups { get; }
    /// <summary>The groups that may be pruned.</summary>
    public IReadOnlyList<ChannelGroup> Prunable => Groups.Where(g => g.IsPrunable).ToList();
    /// <summary>The groups left untouched, each with its reasons.</summary>
    public IReadOnlyList<ChannelGroup> Unsupported => Groups.Where(g => !g.IsPrunable).ToList();

    /// <summary>Group channel index -> global class, per group.</summary>
    internal int[][] GroupClasses { get; }
    /// <summary>Global class -> group id.</summary>
    internal int[] ClassGroup { get; }
    /// <summary>Global class -> channel index within its group.</summary>
    internal int[] ClassChannel { get; }
    /// <summary>Everything sliced, across groups.</summary>
    internal IReadOnlyList<MemberSlice> Slices { get; }
    /// <summary>The analysed graph's constants (initializers and Constant nodes).</summary>
    internal ConstantTensors Constants { get; }
    /// <summary>Activations that carry channel classes: channel axis and class per position.</summary>
    internal IReadOnlyDictionary<string, (int Axis, int[] Classes)> Values { get; }

    /// <summary>The group that node <paramref name="producer"/> writes channels of; throws when it is no producer.</summary>
    public ChannelGroup GroupOf(string producer) =>
        Groups.FirstOrDefault(g => g.Producers.Contains(producer))
        ?? throw new ArgumentException($"'{producer}' produces no channel group; producers: {string.Join(", ", Groups.SelectMany(g => g.Producers))}");

    /// <summary>Global classes of the given channels of <paramref name="group"/>.</summary>
    internal int[] ClassesOf(ChannelGroup group, IEnumerable<int> channels) => channels.Select(c => GroupClasses[group.Id][c]).ToArray();

    /// <summary>A readable listing of all groups.</summary>
    public string Describe() => string.Join(Environment.NewLine, Groups.Select(g => g.ToString()));
}
