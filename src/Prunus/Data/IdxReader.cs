using System.IO.Compression;
using Prunus.Tensors;

namespace Prunus.Data;

/// <summary>An unsigned-byte IDX array: its dimensions (outermost first) and its elements in row-major order.</summary>
public sealed record IdxArray(int[] Shape, byte[] Data)
{
    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;
}

/// <summary>
/// Reads IDX files (the MNIST format: magic 00 00 type rank, big-endian int32 dimensions, then the data), raw or
/// gzip-compressed (detected by the 1f 8b signature). Only unsigned-byte data (type 0x08) is read, which is what
/// MNIST and Fashion-MNIST use; every inconsistency raises a <see cref="DataException"/> that names the file.
/// </summary>
public static class IdxReader
{
    private const byte UnsignedByte = 0x08;

    /// <summary>Reads the array in <paramref name="path"/>.</summary>
    public static IdxArray Read(string path)
    {
        FileStream fs;
        try { fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        { throw new DataException($"{path}: file not found", e); }
        using (fs)
        {
            int b0 = fs.ReadByte(), b1 = fs.ReadByte();
            fs.Position = 0;
            bool gzip = b0 == 0x1f && b1 == 0x8b;
            if (!gzip) return Read(fs, path, fs.Length);
            using var gz = new GZipStream(fs, CompressionMode.Decompress);
            try { return Read(gz, path, knownLength: null); }
            catch (InvalidDataException e) { throw new DataException($"{path}: corrupt gzip data ({e.Message})", e); }
        }
    }

    /// <summary>
    /// Reads an uncompressed IDX array from <paramref name="stream"/>; <paramref name="name"/> names the source in errors,
    /// <paramref name="knownLength"/> (if known) is the stream's total length, checked before any large allocation.
    /// </summary>
    public static IdxArray Read(Stream stream, string name, long? knownLength = null)
    {
        Span<byte> head = stackalloc byte[4];
        if (ReadUpTo(stream, head) < 4) throw new DataException($"{name}: truncated IDX file (shorter than its 4-byte magic)");
        if (head[0] != 0 || head[1] != 0)
            throw new DataException($"{name}: not an IDX file (magic {head[0]:x2} {head[1]:x2} {head[2]:x2} {head[3]:x2} does not start with 00 00)");
        if (head[2] != UnsignedByte)
            throw new DataException($"{name}: IDX element type 0x{head[2]:x2} is not supported (only unsigned bytes, 0x08, as in MNIST)");
        int rank = head[3];
        if (rank is < 1 or > 4) throw new DataException($"{name}: corrupt IDX header: rank {rank} (expected 1 to 4)");

        Span<byte> dimBytes = stackalloc byte[4 * rank];
        if (ReadUpTo(stream, dimBytes) < dimBytes.Length) throw new DataException($"{name}: truncated IDX header");
        var shape = new int[rank];
        long length = 1;
        for (int i = 0; i < rank; i++)
        {
            int d = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(dimBytes[(4 * i)..]);
            if (d < 0) throw new DataException($"{name}: corrupt IDX header: dimension {i} is {d}");
            shape[i] = d;
            length *= d;
            if (length > Array.MaxLength) throw new DataException($"{name}: corrupt IDX header: dimensions {ShapeMath.Format(shape.AsSpan(0, i + 1))} are too large");
        }
        long headerBytes = 4 + 4L * rank;
        if (knownLength is { } total && total - headerBytes != length)
        {
            long have = total - headerBytes;
            throw new DataException(have < length
                ? $"{name}: truncated IDX file: dimensions {ShapeMath.Format(shape)} need {length} bytes of data, found {have}"
                : $"{name}: corrupt IDX file: {have - length} bytes beyond the {length} bytes its dimensions {ShapeMath.Format(shape)} declare");
        }

        // Grow the buffer with the data actually read, so that a corrupt dimension cannot force a huge allocation.
        var data = new byte[Math.Min(length, 1 << 22)];
        int filled = 0;
        while (filled < length)
        {
            if (filled == data.Length) Array.Resize(ref data, (int)Math.Min(length, 2L * data.Length));
            int n = stream.Read(data, filled, data.Length - filled);
            if (n == 0) throw new DataException($"{name}: truncated IDX file: dimensions {ShapeMath.Format(shape)} need {length} bytes of data, found {filled}");
            filled += n;
        }
        if (stream.ReadByte() >= 0)
            throw new DataException($"{name}: corrupt IDX file: data continues beyond the {length} bytes its dimensions {ShapeMath.Format(shape)} declare");
        return new IdxArray(shape, data);
    }

    /// <summary>Reads an image file: rank 3 (count, height, width).</summary>
    public static IdxArray ReadImages(string path)
    {
        var a = Read(path);
        if (a.Shape.Length != 3 || a.Shape[1] == 0 || a.Shape[2] == 0)
            throw new DataException($"{path}: expected images of rank 3 (count, height, width), got dimensions {ShapeMath.Format(a.Shape)}");
        return a;
    }

    /// <summary>Reads a label file: rank 1 (count).</summary>
    public static IdxArray ReadLabels(string path)
    {
        var a = Read(path);
        if (a.Shape.Length != 1)
            throw new DataException($"{path}: expected labels of rank 1 (count), got dimensions {ShapeMath.Format(a.Shape)}");
        return a;
    }

    private static int ReadUpTo(Stream s, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = s.Read(buffer[total..]);
            if (n == 0) break;
            total += n;
        }
        return total;
    }
}
