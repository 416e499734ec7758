using System.Text;
using Prunus.IO;
using Prunus.Tensors;

namespace Prunus.Tests.Data;

public sealed class NpyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("prunus-npy-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    public static TheoryData<DataType, int[]> RoundTripCases()
    {
        var d = new TheoryData<DataType, int[]>();
        foreach (var t in new[] { DataType.Float32, DataType.Float64, DataType.Int64, DataType.Int32, DataType.Int8, DataType.UInt8, DataType.Bool })
        {
            d.Add(t, []);
            d.Add(t, [7]);
            d.Add(t, [2, 3, 5]);
            d.Add(t, [0, 4]);
        }
        return d;
    }

    private static Tensor Sample(DataType type, int[] shape)
    {
        var t = Tensor.Zeros(type, shape);
        var rng = new Random(shape.Length * 31 + (int)type);
        for (int i = 0; i < t.Length; i++)
        {
            switch (type)
            {
                case DataType.Float32: t.Span<float>()[i] = (float)(rng.NextDouble() * 200 - 100); break;
                case DataType.Float64: t.Span<double>()[i] = rng.NextDouble() * 2e10 - 1e10; break;
                case DataType.Int64: t.Span<long>()[i] = rng.NextInt64(long.MinValue, long.MaxValue); break;
                case DataType.Int32: t.Span<int>()[i] = rng.Next(int.MinValue, int.MaxValue); break;
                case DataType.Int8: t.Span<sbyte>()[i] = (sbyte)rng.Next(-128, 128); break;
                case DataType.UInt8: t.Span<byte>()[i] = (byte)rng.Next(256); break;
                case DataType.Bool: t.Span<bool>()[i] = rng.Next(2) == 1; break;
            }
        }
        return t;
    }

    [Theory]
    [MemberData(nameof(RoundTripCases))]
    public void Round_trip_keeps_type_shape_and_bits(DataType type, int[] shape)
    {
        var t = Sample(type, shape);
        var path = PathOf("a.npy");
        Npy.Write(path, t);
        var bytes = File.ReadAllBytes(path);
        int headerLen = BitConverter.ToUInt16(bytes, 8);
        Assert.Equal(0, (10 + headerLen) % 64); // data aligned as NumPy aligns it
        Assert.Equal(10 + headerLen + t.Length * type.SizeOf(), bytes.Length);

        var r = Npy.Read(path);
        Assert.Equal(type, r.Type);
        Assert.Equal(shape, r.Shape);
        for (int i = 0; i < t.Length; i++) Assert.Equal(t.GetAsDouble(i), r.GetAsDouble(i));
    }

    [Fact]
    public void Writes_a_view_with_offset_and_only_its_elements()
    {
        var storage = Enumerable.Range(0, 10).Select(i => (float)i).ToArray();
        var view = new Tensor(DataType.Float32, [2, 2], storage, offset: 3);
        var path = PathOf("view.npy");
        Npy.Write(path, view);
        Assert.Equal(new[] { 3f, 4f, 5f, 6f }, Npy.Read(path).Floats.ToArray());
    }

    // Bytes written by NumPy 1.24's np.save for arange(6, dtype='<f4').reshape(2, 3), array([True, False, True]) and array(7).
    public static TheoryData<string, DataType, int[]> NumpyFiles() => new()
    {
        { "k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAACAPwAAAEAAAEBAAACAQAAAoEA=", DataType.Float32, new[] { 2, 3 } },
        { "k05VTVBZAQB2AHsnZGVzY3InOiAnfGIxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoBAAE=", DataType.Bool, new[] { 3 } },
        { "k05VTVBZAQB2AHsnZGVzY3InOiAnPGk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoHAAAAAAAAAA==", DataType.Int64, Array.Empty<int>() },
    };

    [Theory]
    [MemberData(nameof(NumpyFiles))]
    public void Reads_numpy_files_and_writes_the_same_bytes(string base64, DataType type, int[] shape)
    {
        var bytes = Convert.FromBase64String(base64);
        var path = PathOf("np.npy");
        File.WriteAllBytes(path, bytes);
        var t = Npy.Read(path);
        Assert.Equal(type, t.Type);
        Assert.Equal(shape, t.Shape);
        var again = PathOf("again.npy");
        Npy.Write(again, t);
        Assert.Equal(bytes, File.ReadAllBytes(again));
    }

    [Fact]
    public void Numpy_values_are_read()
    {
        var path = PathOf("np.npy");
        File.WriteAllBytes(path, Convert.FromBase64String(NumpyFiles().First()[0] as string ?? ""));
        Assert.Equal(new[] { 0f, 1f, 2f, 3f, 4f, 5f }, Npy.Read(path).Floats.ToArray());
    }

    /// <summary>An .npy file with a hand-made header (padded to 64 bytes) and data.</summary>
    private static byte[] Make(string dict, byte[] data, int major = 1, bool pad = true)
    {
        int prefix = major == 1 ? 10 : 12;
        var header = dict;
        if (pad) header += new string(' ', 63 - (prefix + dict.Length) % 64) + "\n";
        var h = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(header);
        var ms = new MemoryStream();
        ms.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', (byte)major, 0]);
        if (major == 1) ms.Write(BitConverter.GetBytes((ushort)h.Length)); else ms.Write(BitConverter.GetBytes((uint)h.Length));
        ms.Write(h);
        ms.Write(data);
        return ms.ToArray();
    }

    private static byte[] Floats(params float[] v) => v.SelectMany(BitConverter.GetBytes).ToArray();

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Reads_every_header_version(int major)
    {
        var path = PathOf("v.npy");
        File.WriteAllBytes(path, Make("{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", Floats(1, 2, 3), major));
        Assert.Equal(new[] { 1f, 2f, 3f }, Npy.Read(path).Floats.ToArray());
    }

    [Fact]
    public void Reads_key_order_python2_longs_and_no_trailing_comma()
    {
        var path = PathOf("py2.npy");
        File.WriteAllBytes(path, Make("{'shape': (1L, 2L), 'fortran_order': False, 'descr': '<f4'}", Floats(5, 6)));
        var t = Npy.Read(path);
        Assert.Equal(new[] { 1, 2 }, t.Shape);
        Assert.Equal(new[] { 5f, 6f }, t.Floats.ToArray());
    }

    private DataException ReadError(byte[] bytes)
    {
        var path = PathOf("bad.npy");
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<DataException>(() => Npy.Read(path));
        Assert.Contains(path, e.Message);
        return e;
    }

    [Fact]
    public void Fortran_order_is_a_clear_error() =>
        Assert.Contains("Fortran", ReadError(Make("{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", Floats(1, 2, 3, 4))).Message);

    [Fact]
    public void Truncated_data_is_reported()
    {
        var e = ReadError(Make("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", Floats(1, 2, 3)));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Truncated_data_is_reported_from_a_stream_that_cannot_seek()
    {
        var bytes = Make("{'descr': '<f8', 'fortran_order': False, 'shape': (4,), }", new byte[20]);
        var e = Assert.Throws<DataException>(() => Npy.Read(new NonSeekable(bytes), "pipe"));
        Assert.Contains("pipe", e.Message);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Truncated_header_is_reported()
    {
        var full = Make("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", Floats(1, 2));
        Assert.Contains("truncated", ReadError(full[..30]).Message);
        Assert.Contains("truncated", ReadError(full[..9]).Message);
    }

    [Fact]
    public void Bytes_after_the_data_are_an_error() =>
        Assert.Contains("after the array data", ReadError(Make("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", Floats(1, 2))).Message);

    [Theory]
    [InlineData("{'descr': '<f4', 'fortran_order': False, }", "must have")]
    [InlineData("{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1,), }", "True or False")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), 'extra': 1, }", "unexpected key")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-1,), }", "dimension")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (1,) ", "expected '}'")]
    [InlineData("{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", "not supported")]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", "big-endian")]
    [InlineData("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", "structured")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,), }", "too large")]
    public void Corrupt_headers_are_reported(string dict, string expected) =>
        Assert.Contains(expected, ReadError(Make(dict, Floats(1))).Message);

    [Fact]
    public void Wrong_magic_and_version_are_reported()
    {
        Assert.Contains("not an .npy file", ReadError(Encoding.ASCII.GetBytes("PK\x03\x04 this is a zip")).Message);
        var v4 = Make("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", Floats(1));
        v4[6] = 4;
        Assert.Contains("version 4.0", ReadError(v4).Message);
    }

    [Fact]
    public void Missing_file_is_a_data_error() =>
        Assert.Contains("not found", Assert.Throws<DataException>(() => Npy.Read(PathOf("none.npy"))).Message);

    [Fact]
    public void Writing_replaces_atomically_and_leaves_no_temporary_files()
    {
        var path = PathOf("w.npy");
        Npy.Write(path, Tensor.From(new[] { 1f }, 1));
        Npy.Write(path, Tensor.From(new[] { 2f, 3f }, 2));
        Assert.Equal(new[] { 2f, 3f }, Npy.Read(path).Floats.ToArray());
        Assert.Equal(["w.npy"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failed_write_keeps_the_old_file()
    {
        var path = PathOf("keep.npy");
        Npy.Write(path, Tensor.From(new[] { 1f }, 1));
        Assert.ThrowsAny<Exception>(() => AtomicFile.Write(path, s => { s.WriteByte(1); throw new IOException("disk full"); }));
        Assert.Equal(new[] { 1f }, Npy.Read(path).Floats.ToArray());
        Assert.Single(Directory.GetFiles(_dir));
    }

    private sealed class NonSeekable(byte[] data) : Stream
    {
        private readonly MemoryStream _inner = new(data);
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
