namespace Prunus.Data;

/// <summary>
/// A splitmix64 random stream keyed by words such as (seed, epoch, index) and holding no other state, so that
/// shuffles and augmentations replay exactly after a resume. Not for cryptography.
/// </summary>
public struct KeyedRandom
{
    private ulong _state;

    /// <summary>A stream started from <paramref name="seed"/>.</summary>
    public KeyedRandom(ulong seed) => _state = Mix(seed);

    /// <summary>A stream for position (<paramref name="a"/>, <paramref name="b"/>) of the run seeded with <paramref name="seed"/>.</summary>
    public static KeyedRandom For(ulong seed, ulong a, ulong b = 0) => new(Hash(seed, a, b));

    /// <summary>A well-mixed 64-bit hash of three words (distinct inputs give unrelated outputs).</summary>
    public static ulong Hash(ulong a, ulong b, ulong c) =>
        Mix(Mix(Mix(a ^ 0x243F6A8885A308D3UL) ^ b) ^ (c + 0x13198A2E03707344UL));

    private static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        ulong z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>Uniform integer in [0, <paramref name="bound"/>), without modulo bias.</summary>
    public int NextInt(int bound)
    {
        if (bound <= 0) throw new ArgumentOutOfRangeException(nameof(bound), bound, "bound must be positive");
        // Lemire's multiply-shift with rejection of the biased low range.
        uint threshold = unchecked((uint)-bound) % (uint)bound;
        while (true)
        {
            ulong m = (NextUInt64() >> 32) * (uint)bound;
            if ((uint)m >= threshold) return (int)(m >> 32);
        }
    }

    /// <summary>Uniform in [0, 1) with 24 random bits.</summary>
    public float NextFloat() => (NextUInt64() >> 40) * (1.0f / (1 << 24));

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>A standard normal sample (Box-Muller).</summary>
    public double NextGaussian()
    {
        double u1 = 1.0 - NextDouble(), u2 = NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
