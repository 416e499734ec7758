using System.IO.Compression;
using Prunus.Data;

namespace Prunus.Tests.Data;

public sealed class IdxTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("prunus-idx-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>An unsigned-byte IDX file with the given dimensions and data.</summary>
    internal static byte[] Idx(int[] dims, byte[] data, byte type = 0x08)
    {
        var ms = new MemoryStream();
        ms.Write([0, 0, type, (byte)dims.Length]);
        foreach (var d in dims)
        {
            var b = BitConverter.GetBytes(d);
            if (BitConverter.IsLittleEndian) Array.Reverse(b);
            ms.Write(b);
        }
        ms.Write(data);
        return ms.ToArray();
    }

    internal static byte[] Gzip(byte[] raw)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(raw);
        return ms.ToArray();
    }

    private static byte[] Images(int n, int h, int w) => Enumerable.Range(0, n * h * w).Select(i => (byte)(i * 7)).ToArray();

    private string Write(string name, byte[] bytes)
    {
        var p = Path.Combine(_dir, name);
        File.WriteAllBytes(p, bytes);
        return p;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_images_raw_and_gzipped(bool gzip)
    {
        var data = Images(3, 4, 5);
        var raw = Idx([3, 4, 5], data);
        var path = Write("img", gzip ? Gzip(raw) : raw);
        var a = IdxReader.ReadImages(path);
        Assert.Equal(new[] { 3, 4, 5 }, a.Shape);
        Assert.Equal(data, a.Data);
    }

    [Fact]
    public void Reads_labels()
    {
        var a = IdxReader.ReadLabels(Write("lbl", Idx([4], [1, 0, 9, 3])));
        Assert.Equal(new[] { 4 }, a.Shape);
        Assert.Equal(new byte[] { 1, 0, 9, 3 }, a.Data);
    }

    private DataException Error(byte[] bytes, Func<string, IdxArray>? read = null)
    {
        var path = Write("bad", bytes);
        var e = Assert.Throws<DataException>(() => (read ?? IdxReader.Read)(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Truncated_data_is_reported(bool gzip)
    {
        var raw = Idx([3, 4, 5], Images(3, 4, 5))[..^7];
        Assert.Contains("truncated", Error(gzip ? Gzip(raw) : raw).Message);
    }

    [Fact]
    public void Truncated_gzip_stream_is_reported()
    {
        var gz = Gzip(Idx([20, 28, 28], Images(20, 28, 28)));
        var e = Error(gz[..(gz.Length / 2)]);
        Assert.True(e.Message.Contains("truncated") || e.Message.Contains("corrupt"), e.Message);
    }

    [Fact]
    public void Corrupt_gzip_data_is_reported()
    {
        var gz = Gzip(Idx([20, 28, 28], Images(20, 28, 28)));
        for (int i = 20; i < gz.Length - 10; i += 3) gz[i] ^= 0x5A;
        var e = Error(gz);
        Assert.True(e.Message.Contains("corrupt") || e.Message.Contains("truncated") || e.Message.Contains("IDX"), e.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Extra_data_is_reported(bool gzip)
    {
        var raw = Idx([2], [1, 2, 3]);
        Assert.Contains("beyond", Error(gzip ? Gzip(raw) : raw).Message);
    }

    [Fact]
    public void Header_errors_are_reported()
    {
        Assert.Contains("not an IDX file", Error([1, 2, 8, 1, 0, 0, 0, 1, 5]).Message);
        Assert.Contains("type 0x0d", Error(Idx([1], [0, 0, 0, 0], type: 0x0D)).Message);
        Assert.Contains("rank 0", Error([0, 0, 8, 0]).Message);
        Assert.Contains("truncated", Error([0, 0, 8, 3, 0, 0]).Message);
        Assert.Contains("truncated", Error([0, 0]).Message);
        Assert.Contains("dimension 0 is -1", Error(Idx([-1], [])).Message);
        Assert.Contains("too large", Error(Idx([int.MaxValue, int.MaxValue], [])).Message);
    }

    [Fact]
    public void Huge_declared_size_in_gzip_fails_without_allocating_it()
    {
        // 2^30 bytes declared, 10 present: must report truncation rather than allocate a gigabyte first.
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("truncated", Error(Gzip(Idx([1 << 15, 1 << 15], new byte[10])), p => IdxReader.Read(p)).Message);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 64 << 20);
    }

    [Fact]
    public void Rank_is_checked_for_images_and_labels()
    {
        Assert.Contains("rank 3", Error(Idx([4], [1, 2, 3, 4]), IdxReader.ReadImages).Message);
        Assert.Contains("rank 1", Error(Idx([1, 2, 2], [1, 2, 3, 4]), IdxReader.ReadLabels).Message);
    }

    [Fact]
    public void Missing_file_is_a_data_error() =>
        Assert.Contains("not found", Assert.Throws<DataException>(() => IdxReader.Read(Path.Combine(_dir, "none"))).Message);
}
