using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Prunus.Tensors;

namespace Prunus.IO;

/// <summary>
/// Reads and writes NumPy .npy files (format versions 1.0, 2.0 and 3.0) as tensors: little-endian float32, float64,
/// int64, int32, int8, uint8 and bool, in C order. Files are written atomically.
/// </summary>
public static class Npy
{
    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    /// <summary>Reads the tensor stored in <paramref name="path"/>.</summary>
    public static Tensor Read(string path)
    {
        FileStream fs;
        try { fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16); }
        catch (FileNotFoundException e) { throw new DataException($"{path}: file not found", e); }
        catch (DirectoryNotFoundException e) { throw new DataException($"{path}: file not found", e); }
        using (fs) return Read(fs, path, requireEnd: true);
    }

    /// <summary>
    /// Reads one array from <paramref name="stream"/>; <paramref name="name"/> names the source in errors. With
    /// <paramref name="requireEnd"/>, bytes after the array data are an error.
    /// </summary>
    public static Tensor Read(Stream stream, string name, bool requireEnd = false)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("NPY reading needs a little-endian machine");
        Span<byte> pre = stackalloc byte[8];
        int got = ReadUpTo(stream, pre);
        if (got < 8 || !pre[..6].SequenceEqual(Magic))
            throw new DataException($"{name}: not an .npy file (it does not start with the \\x93NUMPY magic)");
        byte major = pre[6], minor = pre[7];
        if (major is < 1 or > 3 || minor != 0)
            throw new DataException($"{name}: .npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are)");
        int lenBytes = major == 1 ? 2 : 4;
        Span<byte> lenBuf = stackalloc byte[4];
        if (ReadUpTo(stream, lenBuf[..lenBytes]) < lenBytes) throw new DataException($"{name}: truncated .npy header");
        long headerLen = major == 1 ? BitConverter.ToUInt16(lenBuf) : BitConverter.ToUInt32(lenBuf);
        if (headerLen > 1 << 24) throw new DataException($"{name}: corrupt .npy header (declared length {headerLen} bytes)");
        var headerBytes = new byte[headerLen];
        if (ReadUpTo(stream, headerBytes) < headerLen) throw new DataException($"{name}: truncated .npy header");
        // Versions 1 and 2 use latin-1; version 3 allows UTF-8. The keys and values we accept are ASCII either way.
        var header = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);

        var (descr, fortran, shape) = ParseHeader(header, name);
        if (fortran)
            throw new DataException($"{name}: the array is stored in Fortran (column-major) order, which Prunus does not read; save it with numpy.ascontiguousarray first");
        var type = TypeOf(descr, name);
        int length;
        try { length = ShapeMath.Size(shape); }
        catch (ArgumentException e) { throw new DataException($"{name}: array shape {ShapeMath.Format(shape)} is too large for a tensor", e); }

        if (stream.CanSeek)
        {
            long remaining = stream.Length - stream.Position;
            long needed = (long)length * type.SizeOf();
            if (remaining < needed)
                throw new DataException($"{name}: truncated data: the header declares {type}{ShapeMath.Format(shape)} ({needed} bytes) but only {remaining} bytes follow");
        }

        var storage = DataTypes.NewStorage(type, length);
        switch (storage)
        {
            case float[] a: ReadInto(stream, a, name); break;
            case double[] a: ReadInto(stream, a, name); break;
            case long[] a: ReadInto(stream, a, name); break;
            case int[] a: ReadInto(stream, a, name); break;
            case short[] a: ReadInto(stream, a, name); break;
            case ushort[] a: ReadInto(stream, a, name); break;
            case sbyte[] a: ReadInto(stream, a, name); break;
            case byte[] a: ReadInto(stream, a, name); break;
            case bool[] a:
                {
                    // Read as bytes: any nonzero byte is true, and the bool array stays canonical (0 or 1).
                    var bytes = new byte[length];
                    ReadInto(stream, bytes, name);
                    for (int i = 0; i < length; i++) a[i] = bytes[i] != 0;
                    break;
                }
        }
        if (requireEnd && stream.ReadByte() >= 0)
            throw new DataException($"{name}: unexpected bytes after the array data of {type}{ShapeMath.Format(shape)}");
        return new Tensor(type, shape, storage);
    }

    /// <summary>Writes <paramref name="tensor"/> to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public static void Write(string path, Tensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        Descr(tensor.Type); // fail before touching the file system
        AtomicFile.Write(path, s => Write(s, tensor));
    }

    /// <summary>Writes <paramref name="tensor"/> as .npy to <paramref name="stream"/>.</summary>
    public static void Write(Stream stream, Tensor tensor)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("NPY writing needs a little-endian machine");
        var shape = tensor.Shape.Length switch
        {
            0 => "()",
            1 => $"({tensor.Shape[0]},)",
            _ => "(" + string.Join(", ", tensor.Shape.Select(d => d.ToString(CultureInfo.InvariantCulture))) + ")",
        };
        var dict = $"{{'descr': '{Descr(tensor.Type)}', 'fortran_order': False, 'shape': {shape}, }}";
        // As NumPy writes it: spare spaces so the first dimension can grow in place, then spaces and a newline so that
        // the data starts on a 64-byte boundary. Equal arrays thus give byte-identical files from both.
        if (tensor.Shape.Length > 0)
            dict += new string(' ', Math.Max(0, 21 - tensor.Shape[0].ToString(CultureInfo.InvariantCulture).Length));
        int major = 10 + dict.Length + 64 <= ushort.MaxValue ? 1 : 2;
        int prefix = major == 1 ? 10 : 12;
        int pad = 64 - (prefix + dict.Length + 1) % 64;
        var header = dict + new string(' ', pad) + "\n";
        var bytes = Encoding.ASCII.GetBytes(header);

        stream.Write(Magic);
        stream.WriteByte((byte)major);
        stream.WriteByte(0);
        if (major == 1) stream.Write(BitConverter.GetBytes((ushort)bytes.Length));
        else stream.Write(BitConverter.GetBytes((uint)bytes.Length));
        stream.Write(bytes);
        switch (tensor.Type)
        {
            case DataType.Float32: WriteFrom(stream, tensor.Span<float>()); break;
            case DataType.Float64: WriteFrom(stream, tensor.Span<double>()); break;
            case DataType.Int64: WriteFrom(stream, tensor.Span<long>()); break;
            case DataType.Int32: WriteFrom(stream, tensor.Span<int>()); break;
            case DataType.Int16: WriteFrom(stream, tensor.Span<short>()); break;
            case DataType.UInt16: WriteFrom(stream, tensor.Span<ushort>()); break;
            case DataType.Int8 or DataType.Int4: WriteFrom(stream, tensor.Span<sbyte>()); break;
            case DataType.UInt8 or DataType.UInt4: WriteFrom(stream, tensor.Span<byte>()); break;
            case DataType.Bool:
                {
                    var src = tensor.Span<bool>();
                    var buf = new byte[Math.Min(src.Length, 1 << 16)];
                    for (int start = 0; start < src.Length; start += buf.Length)
                    {
                        int n = Math.Min(buf.Length, src.Length - start);
                        for (int i = 0; i < n; i++) buf[i] = src[start + i] ? (byte)1 : (byte)0;
                        stream.Write(buf, 0, n);
                    }
                    break;
                }
        }
    }

    private static string Descr(DataType type) => type switch
    {
        DataType.Float32 => "<f4",
        DataType.Float64 => "<f8",
        DataType.Int64 => "<i8",
        DataType.Int32 => "<i4",
        DataType.Int16 => "<i2",
        DataType.UInt16 => "<u2",
        // NumPy has no 4-bit types: their values (one per element in memory) are written as 8-bit integers.
        DataType.Int8 or DataType.Int4 => "|i1",
        DataType.UInt8 or DataType.UInt4 => "|u1",
        DataType.Bool => "|b1",
        _ => throw new NotSupportedException($"data type {type} cannot be stored as .npy by Prunus"),
    };

    private static DataType TypeOf(string descr, string name)
    {
        if (descr.Length >= 2 && descr[0] == '>' && descr[1..] is not ("i1" or "u1" or "b1"))
            throw new DataException($"{name}: dtype '{descr}' is big-endian; Prunus reads little-endian arrays only (convert with arr.astype('<{descr[1..]}'))");
        // '<' little-endian, '=' native (little-endian here), '|' not applicable (one byte); one-byte types accept any.
        var body = descr.Length >= 2 && descr[0] is '<' or '=' or '|' or '>' ? descr[1..] : descr;
        return body switch
        {
            "f4" => DataType.Float32,
            "f8" => DataType.Float64,
            "i8" => DataType.Int64,
            "i4" => DataType.Int32,
            "i2" => DataType.Int16,
            "u2" => DataType.UInt16,
            "i1" => DataType.Int8,
            "u1" => DataType.UInt8,
            "b1" or "?" => DataType.Bool,
            _ => throw new DataException($"{name}: dtype '{descr}' is not supported (supported: <f4, <f8, <i8, <i4, <i2, <u2, |i1, |u1, |b1)"),
        };
    }

    /// <summary>Parses the header, a Python dict literal: {'descr': '&lt;f4', 'fortran_order': False, 'shape': (3, 4), }.</summary>
    private static (string Descr, bool Fortran, int[] Shape) ParseHeader(string text, string name)
    {
        var p = new HeaderParser(text, name);
        string? descr = null;
        bool? fortran = null;
        int[]? shape = null;
        p.Expect('{');
        while (true)
        {
            if (p.TryTake('}')) break;
            var key = p.String();
            p.Expect(':');
            switch (key)
            {
                case "descr":
                    if (p.Peek() != '\'' && p.Peek() != '"')
                        throw p.Fail("structured dtypes (a list in 'descr') are not supported");
                    descr = p.String();
                    break;
                case "fortran_order": fortran = p.Bool(); break;
                case "shape": shape = p.Tuple(); break;
                default: throw p.Fail($"unexpected key '{key}'");
            }
            if (!p.TryTake(',')) { p.Expect('}'); break; }
        }
        p.ExpectEnd();
        if (descr is null || fortran is null || shape is null)
            throw new DataException($"{name}: corrupt .npy header: it must have 'descr', 'fortran_order' and 'shape' (got: {text.Trim()})");
        return (descr, fortran.Value, shape);
    }

    private sealed class HeaderParser(string text, string name)
    {
        private int _pos;

        public DataException Fail(string what) => new($"{name}: corrupt .npy header at character {_pos}: {what} (header: {text.Trim()})");

        private void SkipSpace() { while (_pos < text.Length && char.IsWhiteSpace(text[_pos])) _pos++; }

        public char Peek() { SkipSpace(); return _pos < text.Length ? text[_pos] : '\0'; }

        public bool TryTake(char c)
        {
            if (Peek() != c) return false;
            _pos++;
            return true;
        }

        public void Expect(char c)
        {
            if (!TryTake(c)) throw Fail($"expected '{c}'");
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_pos != text.Length) throw Fail("unexpected text after the closing brace");
        }

        public string String()
        {
            char q = Peek();
            if (q is not ('\'' or '"')) throw Fail("expected a quoted string");
            int end = text.IndexOf(q, _pos + 1);
            if (end < 0) throw Fail("unterminated string");
            var s = text.Substring(_pos + 1, end - _pos - 1);
            _pos = end + 1;
            return s;
        }

        public bool Bool()
        {
            SkipSpace();
            if (string.CompareOrdinal(text, _pos, "True", 0, 4) == 0) { _pos += 4; return true; }
            if (string.CompareOrdinal(text, _pos, "False", 0, 5) == 0) { _pos += 5; return false; }
            throw Fail("expected True or False");
        }

        public int[] Tuple()
        {
            Expect('(');
            var dims = new List<int>();
            while (!TryTake(')'))
            {
                SkipSpace();
                int start = _pos;
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos])) _pos++;
                if (_pos == start) throw Fail("expected a dimension (a non-negative integer)");
                if (!int.TryParse(text.AsSpan(start, _pos - start), NumberStyles.None, CultureInfo.InvariantCulture, out int d))
                    throw Fail($"dimension {text[start.._pos]} is too large");
                if (_pos < text.Length && text[_pos] == 'L') _pos++; // Python 2 long suffix, written by old NumPy
                dims.Add(d);
                if (!TryTake(',')) { Expect(')'); break; }
            }
            return dims.ToArray();
        }
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

    private static void ReadInto<T>(Stream s, T[] array, string name) where T : unmanaged
    {
        const int Chunk = 1 << 18;
        for (int start = 0; start < array.Length; start += Chunk)
        {
            var bytes = MemoryMarshal.AsBytes(array.AsSpan(start, Math.Min(Chunk, array.Length - start)));
            int got = ReadUpTo(s, bytes);
            if (got < bytes.Length)
            {
                long have = (long)start * System.Runtime.CompilerServices.Unsafe.SizeOf<T>() + got;
                long need = (long)array.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>();
                throw new DataException($"{name}: truncated data: expected {need} bytes of array data, found {have}");
            }
        }
    }

    private static void WriteFrom<T>(Stream s, Span<T> data) where T : unmanaged
    {
        const int Chunk = 1 << 18;
        for (int start = 0; start < data.Length; start += Chunk)
            s.Write(MemoryMarshal.AsBytes(data.Slice(start, Math.Min(Chunk, data.Length - start))));
    }
}
