using Prunus.Tensors;

namespace Prunus.Data;

/// <summary>Training-time image augmentation: random crop after zero padding, and random horizontal flip.</summary>
/// <param name="Pad">Zero padding on each side before cropping back to H x W; 0 disables cropping.</param>
/// <param name="HorizontalFlip">Mirror each image left-right with probability 1/2.</param>
public sealed record Augmentation(int Pad = 0, bool HorizontalFlip = false)
{
    /// <summary>Whether this changes nothing.</summary>
    public bool IsNone => Pad == 0 && !HorizontalFlip;
}

/// <summary>
/// Labelled images held as bytes (N x C x H x W, 0..255; a quarter of the memory of floats) that fill float batches
/// in [0, 1] without allocating. Shuffling and augmentation are pure functions of (seed, epoch, index), so a resumed
/// run sees exactly the batches an uninterrupted run would.
/// </summary>
public sealed class ImageDataset
{
    // b / 255f for every byte, correctly rounded as a division (as PyTorch's ToTensor computes it), looked up.
    private static readonly float[] ByteToUnit = Enumerable.Range(0, 256).Select(b => b / 255f).ToArray();

    private readonly byte[] _images;
    private readonly int[] _labels;

    /// <summary>Number of images (N).</summary>
    public int Count { get; }
    /// <summary>Channels per image (C).</summary>
    public int Channels { get; }
    /// <summary>Image height (H).</summary>
    public int Height { get; }
    /// <summary>Image width (W).</summary>
    public int Width { get; }
    /// <summary>Number of classes: labels lie in [0, ClassCount).</summary>
    public int ClassCount { get; }
    /// <summary>Class names, if known (index = label).</summary>
    public IReadOnlyList<string>? ClassNames { get; init; }
    /// <summary>Where the data came from (for messages).</summary>
    public string Source { get; init; } = "dataset";

    /// <summary>Bytes per image (C * H * W).</summary>
    public int ImageSize => Channels * Height * Width;
    /// <summary>Shape of one sample as the model sees it: [C, H, W].</summary>
    public int[] SampleShape => [Channels, Height, Width];
    /// <summary>The raw image bytes, N x C x H x W.</summary>
    public ReadOnlySpan<byte> Images => _images;
    /// <summary>The labels, one per image.</summary>
    public ReadOnlySpan<int> Labels => _labels;

    /// <summary>
    /// Wraps (does not copy) <paramref name="images"/> (N x C x H x W bytes) and <paramref name="labels"/> (N values);
    /// <paramref name="classCount"/> defaults to the largest label + 1.
    /// </summary>
    public ImageDataset(byte[] images, int[] labels, int channels, int height, int width, int? classCount = null)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentNullException.ThrowIfNull(labels);
        if (channels <= 0 || height <= 0 || width <= 0)
            throw new ArgumentException($"image dimensions must be positive, got C={channels} H={height} W={width}");
        long size = (long)channels * height * width;
        if (images.Length != size * labels.Length)
            throw new DataException($"{labels.Length} labels need {size * labels.Length} image bytes ({labels.Length} x {channels}x{height}x{width}), got {images.Length}");
        int max = -1;
        for (int i = 0; i < labels.Length; i++)
        {
            if (labels[i] < 0) throw new DataException($"label {i} is negative ({labels[i]})");
            max = Math.Max(max, labels[i]);
        }
        int k = classCount ?? max + 1;
        if (max >= k) throw new DataException($"label {max} is out of range for {k} classes");
        _images = images;
        _labels = labels;
        Count = labels.Length;
        Channels = channels;
        Height = height;
        Width = width;
        ClassCount = k;
    }

    /// <summary>Images [<paramref name="start"/>, start + count) as a dataset sharing nothing with this one.</summary>
    public ImageDataset Slice(int start, int count)
    {
        if (start < 0 || count < 0 || start + count > Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"slice [{start}, {start + count}) is outside the {Count} images");
        return new ImageDataset(_images.AsSpan(start * ImageSize, count * ImageSize).ToArray(), _labels.AsSpan(start, count).ToArray(),
            Channels, Height, Width, ClassCount) { ClassNames = ClassNames, Source = Source };
    }

    /// <summary>The permutation of [0, Count) used for <paramref name="epoch"/> of a run seeded with <paramref name="seed"/>.</summary>
    public int[] Permutation(ulong seed, int epoch)
    {
        var p = new int[Count];
        Shuffle(p, seed, epoch);
        return p;
    }

    /// <summary>Fills <paramref name="order"/> (length Count) with the permutation for (seed, epoch), without allocating.</summary>
    public void Shuffle(int[] order, ulong seed, int epoch)
    {
        if (order.Length != Count) throw new ArgumentException($"order has {order.Length} entries, the dataset {Count} images");
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var rng = KeyedRandom.For(seed, 0x5348554646UL, (ulong)epoch); // stream "SHUFF" of this epoch
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = rng.NextInt(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    /// <summary>
    /// Writes images order[start..start+count) into the first <paramref name="count"/> samples of <paramref name="x"/>
    /// ([B, C, H, W] float, B &gt;= count) as value / 255, and their labels into <paramref name="labels"/>.
    /// </summary>
    public void FillBatch(int[] order, int start, int count, Tensor x, int[] labels) =>
        FillBatch(order, start, count, x, labels, null, 0, 0);

    /// <summary>
    /// As <see cref="FillBatch(int[], int, int, Tensor, int[])"/>, with <paramref name="augmentation"/> drawn from a
    /// stream determined by (<paramref name="seed"/>, <paramref name="epoch"/>, image index).
    /// </summary>
    public void FillBatch(int[] order, int start, int count, Tensor x, int[] labels, Augmentation? augmentation, ulong seed, int epoch)
    {
        int size = ImageSize;
        if (x.Type != DataType.Float32) throw new ArgumentException($"the batch tensor must be Float32, got {x.Type}");
        if (x.Rank < 1 || x.Length / Math.Max(x.Shape[0], 1) != size || x.Shape[0] < count)
            throw new DataException($"{Source}: a batch of {count} images of {Channels}x{Height}x{Width} does not fit the model input {x}");
        if (labels.Length < count) throw new ArgumentException($"labels has room for {labels.Length} of {count} labels");
        if (start < 0 || count < 0 || start + count > order.Length)
            throw new ArgumentOutOfRangeException(nameof(count), $"batch [{start}, {start + count}) is outside the order of {order.Length}");
        var dst = x.Floats;
        bool augment = augmentation is { IsNone: false };
        var scale = ByteToUnit;
        for (int b = 0; b < count; b++)
        {
            int idx = order[start + b];
            if ((uint)idx >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(order), $"image index {idx} is outside [0, {Count})");
            labels[b] = _labels[idx];
            var src = _images.AsSpan(idx * size, size);
            var dstImage = dst.Slice(b * size, size);
            if (!augment)
            {
                for (int i = 0; i < size; i++) dstImage[i] = scale[src[i]];
                continue;
            }
            var rng = KeyedRandom.For(seed, ((ulong)(uint)epoch << 32) | 0x4155UL, (ulong)idx); // stream "AU" of (epoch, image)
            int p = augmentation!.Pad;
            int dy = p > 0 ? rng.NextInt(2 * p + 1) - p : 0;
            int dx = p > 0 ? rng.NextInt(2 * p + 1) - p : 0;
            bool flip = augmentation.HorizontalFlip && (rng.NextUInt64() & 1) != 0;
            CropFlip(src, dstImage, dy, dx, flip);
        }
    }

    /// <summary>
    /// out[c, y, x] = in[c, y + dy, x' + dx] with x' = W-1-x when flipped, zero where that falls outside the image:
    /// a crop of the zero-padded image at offset (p + dy, p + dx).
    /// </summary>
    private void CropFlip(ReadOnlySpan<byte> src, Span<float> dst, int dy, int dx, bool flip)
    {
        var scale = ByteToUnit;
        int h = Height, w = Width;
        for (int c = 0; c < Channels; c++)
        {
            var plane = src.Slice(c * h * w, h * w);
            var outPlane = dst.Slice(c * h * w, h * w);
            for (int y = 0; y < h; y++)
            {
                int sy = y + dy;
                var row = outPlane.Slice(y * w, w);
                if ((uint)sy >= (uint)h) { row.Clear(); continue; }
                var srcRow = plane.Slice(sy * w, w);
                for (int x = 0; x < w; x++)
                {
                    int sx = (flip ? w - 1 - x : x) + dx;
                    row[x] = (uint)sx < (uint)w ? scale[srcRow[sx]] : 0f;
                }
            }
        }
    }
}
