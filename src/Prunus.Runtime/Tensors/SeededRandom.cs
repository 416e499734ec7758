namespace Prunus.Tensors;

/// <summary>splitmix64: a small seeded generator whose stream is the same on every platform and .NET version.</summary>
public sealed class SeededRandom
{
    private ulong _state;
    public SeededRandom(ulong seed) => Reseed(seed);

    /// <summary>Restarts the stream as if newly made with <paramref name="seed"/>.</summary>
    public void Reseed(ulong seed) => _state = seed ^ 0x6A09E667F3BCC909UL;

    public ulong NextUInt64()
    {
        ulong z = _state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform integer in [0, n).</summary>
    public int Next(int n) => (int)((NextUInt64() >> 33) % (ulong)n);
}
