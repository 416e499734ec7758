using System.Globalization;

namespace Prunus.Pruning;

/// <summary>
/// The unit that pruning removes, on a layer's weight matrix (<see cref="PrunableLayer"/>: rows are outputs, columns
/// the reduction). Parse from the CLI forms <c>unstructured</c>, <c>N:M</c> (e.g. <c>2:4</c>), <c>block:RxC</c> and
/// <c>channel</c>.
/// </summary>
public abstract record Granularity
{
    /// <summary>Single weights.</summary>
    public static Granularity Unstructured { get; } = new UnstructuredGranularity();
    /// <summary>Whole output channels (structured: the model is physically shrunk).</summary>
    public static Granularity Channel { get; } = new ChannelGranularity();

    /// <summary>True when pruning removes whole channels rather than masking entries.</summary>
    public virtual bool IsStructured => false;

    /// <summary>Parses a CLI value; throws <see cref="ArgumentException"/> naming the accepted forms.</summary>
    public static Granularity Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim().ToLowerInvariant();
        if (t == "unstructured") return Unstructured;
        if (t is "channel" or "channels" or "filter") return Channel;
        if (t.Split(':') is [var n, var m] && int.TryParse(n, NumberStyles.None, CultureInfo.InvariantCulture, out var nn)
            && int.TryParse(m, NumberStyles.None, CultureInfo.InvariantCulture, out var mm))
            return new NOfM(nn, mm);
        if (t.StartsWith("block:", StringComparison.Ordinal) && t[6..].Split('x') is [var r, var c]
            && int.TryParse(r, NumberStyles.None, CultureInfo.InvariantCulture, out var rr)
            && int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var cc))
            return new Block(rr, cc);
        throw new ArgumentException($"granularity '{text}' is not one of: unstructured, N:M (e.g. 2:4), block:RxC (e.g. block:1x4), channel");
    }
}

/// <summary>Single weights.</summary>
public sealed record UnstructuredGranularity : Granularity
{
    /// <inheritdoc/>
    public override string ToString() => "unstructured";
}

/// <summary>Whole output channels with their dependent inputs downstream.</summary>
public sealed record ChannelGranularity : Granularity
{
    /// <inheritdoc/>
    public override bool IsStructured => true;
    /// <inheritdoc/>
    public override string ToString() => "channel";
}

/// <summary>
/// N:M: in every group of <see cref="M"/> consecutive weights along a row's reduction dimension, at most
/// <see cref="N"/> are kept (2:4 keeps 2 of 4: 50% sparsity). A shorter last group of r &lt; M weights keeps
/// min(r, N), so rows whose length is not a multiple of M end slightly denser than N/M.
/// </summary>
public sealed record NOfM : Granularity
{
    /// <summary>Weights kept per group.</summary>
    public int N { get; }
    /// <summary>Group size.</summary>
    public int M { get; }

    /// <summary>N of every M kept; 0 &lt; N &lt; M.</summary>
    public NOfM(int n, int m)
    {
        if (m < 2 || n < 1 || n >= m) throw new ArgumentException($"N:M needs 0 < N < M and M >= 2, got {n}:{m}");
        N = n;
        M = m;
    }

    /// <summary>The sparsity it gives on rows whose length is a multiple of M.</summary>
    public double Sparsity => 1 - (double)N / M;

    /// <inheritdoc/>
    public override string ToString() => $"{N}:{M}";
}

/// <summary>
/// Blocks of <see cref="Rows"/> outputs by <see cref="Cols"/> consecutive reduction entries, pruned or kept whole
/// (1x4: four consecutive inputs of one output; 4x1: one input of four consecutive outputs). Edge blocks of a matrix
/// whose size is not a multiple of the block are smaller and scored by their mean.
/// </summary>
public sealed record Block : Granularity
{
    /// <summary>Block height (outputs).</summary>
    public int Rows { get; }
    /// <summary>Block width (reduction entries).</summary>
    public int Cols { get; }

    /// <summary>A block of <paramref name="rows"/> x <paramref name="cols"/>; both at least 1.</summary>
    public Block(int rows, int cols)
    {
        if (rows < 1 || cols < 1 || (long)rows * cols > 1 << 20) throw new ArgumentException($"block sizes must be at least 1x1 (and sensible), got {rows}x{cols}");
        Rows = rows;
        Cols = cols;
    }

    /// <inheritdoc/>
    public override string ToString() => $"block:{Rows}x{Cols}";
}
