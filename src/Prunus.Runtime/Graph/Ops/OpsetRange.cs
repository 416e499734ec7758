namespace Prunus.Graph.Ops;

/// <summary>
/// The default-domain opset versions whose form of an op (attributes and inputs as those versions define them) an
/// implementation handles, from <see cref="First"/> through <see cref="Last"/>.
/// </summary>
public readonly record struct OpsetRange(int First, int Last)
{
    /// <summary>The newest opset whose operator definitions the implementations were checked against.</summary>
    public const int Newest = 21;

    /// <summary>From <paramref name="first"/> through <see cref="Newest"/>.</summary>
    public static OpsetRange Since(int first) => new(first, Newest);

    /// <summary>Whether a model of default-domain opset <paramref name="opset"/> is in the range.</summary>
    public bool Contains(long opset) => opset >= First && opset <= Last;

    /// <inheritdoc/>
    public override string ToString() => First == Last ? $"{First}" : $"{First}–{Last}";
}
