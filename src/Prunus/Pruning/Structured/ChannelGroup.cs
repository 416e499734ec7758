namespace Prunus.Pruning.Structured;

/// <summary>What a member of a channel group is, and so how structured pruning treats its slice.</summary>
public enum MemberRole
{
    /// <summary>The weight of a channel producer (Conv, ConvTranspose, Gemm, MatMul): its output rows.</summary>
    ProducerWeight,
    /// <summary>The bias of a channel producer.</summary>
    ProducerBias,
    /// <summary>The weight of a consumer, sliced on its input (reduction) axis.</summary>
    ConsumerWeight,
    /// <summary>The weight of a depthwise convolution, whose channels pass through one to one.</summary>
    DepthwiseWeight,
    /// <summary>The bias of a depthwise convolution.</summary>
    DepthwiseBias,
    /// <summary>A per-channel parameter of BatchNormalization or InstanceNormalization (scale, shift, mean, variance).</summary>
    Normalization,
    /// <summary>A per-channel constant of an elementwise op (Mul, Add, PRelu slope, ...).</summary>
    ChannelConstant,
    /// <summary>An activation whose channel axis shrinks with the group.</summary>
    Activation,
    /// <summary>A Reshape whose target shape holds the channel count.</summary>
    ReshapeTarget,
    /// <summary>The <c>group</c> attribute of a depthwise convolution (it equals the channel count).</summary>
    GroupAttribute,
    /// <summary>The sizes of a Split along the channel axis.</summary>
    SplitSizes,
    /// <summary>
    /// A one-element input of the Concat that assembles a Reshape's computed target (PyTorch's
    /// <c>x.reshape(n, s, heads, -1)</c> with the sizes read from <c>x.shape</c>): replaced by the new size.
    /// </summary>
    TargetPiece,
}

/// <summary>
/// One tensor (or attribute) that structured pruning slices for a group: along <see cref="Axis"/>, position p belongs
/// to group channel <c>Channels[p]</c>, or to no channel of this group when that is -1 (another group's channel, or
/// one that no group may remove). A Flatten-fed Gemm weight, for example, lists each channel H*W times.
/// </summary>
/// <param name="Role">What the member is.</param>
/// <param name="Node">The node that reads (or, for activations, writes) it.</param>
/// <param name="Tensor">The initializer or value sliced; null for attributes.</param>
/// <param name="Axis">The axis sliced.</param>
/// <param name="Channels">Group channel per position along <paramref name="Axis"/>, -1 where not of this group.</param>
public sealed record GroupMember(MemberRole Role, string Node, string? Tensor, int Axis, IReadOnlyList<int> Channels)
{
    /// <inheritdoc/>
    public override string ToString() => $"{Role} {Node}{(Tensor is null ? "" : $" {Tensor}")} axis {Axis} ({Channels.Count} positions)";
}

/// <summary>
/// A set of coupled channels: removing channel i of the group removes, in step, the rows of every producer that writes
/// it, the per-channel parameters along its way, and the input slices of every consumer that reads it. Residual joins
/// merge the groups of their branches; concatenations map each input's channels to a range of the output's.
/// </summary>
public sealed class ChannelGroup
{
    internal ChannelGroup(int id, string root, int channels, IReadOnlyList<string> producers, IReadOnlyList<GroupMember> members,
        IReadOnlyList<string> reasons)
    {
        Id = id;
        Root = root;
        Channels = channels;
        Producers = producers;
        Members = members;
        Reasons = reasons;
    }

    /// <summary>Index of the group in <see cref="ChannelAnalysis.Groups"/>.</summary>
    public int Id { get; }
    /// <summary>The first producer in graph order (node name), by which the group is named.</summary>
    public string Root { get; }
    /// <summary>Number of channels the group can remove independently.</summary>
    public int Channels { get; }
    /// <summary>Nodes whose output channels belong to the group, in graph order.</summary>
    public IReadOnlyList<string> Producers { get; }
    /// <summary>Everything sliced when a channel goes.</summary>
    public IReadOnlyList<GroupMember> Members { get; }
    /// <summary>Why the group may not be pruned; empty when it may.</summary>
    public IReadOnlyList<string> Reasons { get; }
    /// <summary>Whether structured pruning may remove channels of this group.</summary>
    public bool IsPrunable => Reasons.Count == 0;
    /// <summary>The reasons as one line.</summary>
    public string Reason => string.Join("; ", Reasons);

    /// <summary>Members of the given role.</summary>
    public IEnumerable<GroupMember> MembersOf(MemberRole role) => Members.Where(m => m.Role == role);

    /// <inheritdoc/>
    public override string ToString() =>
        $"group {Id} '{Root}': {Channels} channels, producers {string.Join(", ", Producers)}{(IsPrunable ? "" : $" (unprunable: {Reason})")}";
}
