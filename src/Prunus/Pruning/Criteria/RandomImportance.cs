using Prunus.Data;

namespace Prunus.Pruning.Criteria;

/// <summary>
/// Random scores: the baseline every pruning result should be compared with. Deterministic in (seed, weight name,
/// index), so a run is reproducible and the layers draw independent streams.
/// </summary>
public sealed class RandomImportance(ulong seed) : IImportance
{
    /// <inheritdoc/>
    public string Name => "random";
    /// <inheritdoc/>
    public CalibrationNeeds Needs => CalibrationNeeds.None;

    /// <inheritdoc/>
    public float[] Score(PrunableLayer layer, LayerStatistics? statistics)
    {
        ulong stream = KeyedRandom.Hash(seed, StableHash(layer.WeightName), 0x524E44UL /* "RND" */);
        var s = new float[layer.Size];
        for (int i = 0; i < s.Length; i++)
            s[i] = (KeyedRandom.Hash(stream, (ulong)i, 0) >> 40) * (1f / (1 << 24)); // 24 uniform bits in [0, 1)
        return s;
    }

    // string.GetHashCode is randomized per process; this one is not.
    private static ulong StableHash(string text)
    {
        ulong h = 14695981039346656037UL;
        foreach (char c in text) h = (h ^ c) * 1099511628211UL;
        return h;
    }
}
