using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Prunus.IO;
using Prunus.Tensors;

namespace Prunus.Training;

/// <summary>
/// Everything needed to continue a run exactly: the weights (every initializer of the graph), the optimizer's state
/// and step count, pruning masks, the position in the run and the running metrics of the current epoch, and the
/// run's settings (<see cref="TrainerOptions.TrajectoryDescription"/>) so that a resume with other settings is refused.
/// </summary>
public sealed class Checkpoint
{
    /// <summary>The run's settings, as <see cref="TrainerOptions.TrajectoryDescription"/> printed them.</summary>
    public string Configuration { get; init; } = "";
    /// <summary>A short hash of <see cref="Configuration"/> (16 hex digits of its SHA-256), for display.</summary>
    public string ConfigurationHash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(Configuration)))[..16];
    /// <summary>Epoch of the next step.</summary>
    public int Epoch { get; init; }
    /// <summary>Index of the next step within its epoch.</summary>
    public int StepInEpoch { get; init; }
    /// <summary>Steps completed in the run.</summary>
    public long GlobalStep { get; init; }
    /// <summary>Which optimizer the state belongs to.</summary>
    public OptimizerKind Optimizer { get; init; }
    /// <summary>The optimizer's step count (drives Adam's bias correction).</summary>
    public long OptimizerSteps { get; init; }
    /// <summary>Sum of the losses of the current epoch's images so far.</summary>
    public double RunningLossSum { get; init; }
    /// <summary>Correctly classified images of the current epoch so far.</summary>
    public long RunningCorrect { get; init; }
    /// <summary>Images of the current epoch so far.</summary>
    public long RunningSeen { get; init; }
    /// <summary>Training seconds of the current epoch so far.</summary>
    public double RunningSeconds { get; init; }
    /// <summary>Every initializer of the graph, by name.</summary>
    public Dictionary<string, Tensor> Weights { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Optimizer state by "parameter/key".</summary>
    public Dictionary<string, Tensor> OptimizerState { get; init; } = new(StringComparer.Ordinal);
    /// <summary>Pruning masks by parameter name.</summary>
    public Dictionary<string, Tensor> Masks { get; init; } = new(StringComparer.Ordinal);

    private static ReadOnlySpan<byte> Magic => "PRUNUSCK"u8;
    private const int Version = 1;
    private const int HashBytes = 32;

    /// <summary>
    /// Writes the checkpoint to <paramref name="path"/> atomically: little-endian binary, "PRUNUSCK", version, fields,
    /// three tensor sections, then a SHA-256 of all preceding bytes.
    /// </summary>
    public void Save(string path)
    {
        var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(Magic);
            w.Write(Version);
            w.Write(Configuration);
            w.Write(Epoch);
            w.Write(StepInEpoch);
            w.Write(GlobalStep);
            w.Write((int)Optimizer);
            w.Write(OptimizerSteps);
            w.Write(RunningLossSum);
            w.Write(RunningCorrect);
            w.Write(RunningSeen);
            w.Write(RunningSeconds);
            foreach (var section in new[] { Weights, OptimizerState, Masks })
            {
                w.Write(section.Count);
                foreach (var (name, t) in section.OrderBy(kv => kv.Key, StringComparer.Ordinal)) WriteTensor(w, name, t);
            }
        }
        var hash = SHA256.HashData(ms.GetBuffer().AsSpan(0, (int)ms.Length));
        ms.Write(hash);
        AtomicFile.Write(path, s => ms.WriteTo(s));
    }

    /// <summary>Reads a checkpoint; a truncated, corrupt or foreign file raises a <see cref="DataException"/> naming it.</summary>
    public static Checkpoint Load(string path)
    {
        byte[] bytes;
        try { bytes = File.ReadAllBytes(path); }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        { throw new DataException($"{path}: checkpoint not found", e); }
        if (bytes.Length < Magic.Length + 4 || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new DataException($"{path}: not a Prunus checkpoint");
        int version = BitConverter.ToInt32(bytes, Magic.Length);
        if (version != Version) throw new DataException($"{path}: checkpoint version {version} is not supported (this Prunus reads version {Version})");
        if (bytes.Length < Magic.Length + 4 + HashBytes) throw new DataException($"{path}: truncated checkpoint");
        var body = bytes.AsSpan(0, bytes.Length - HashBytes);
        if (!SHA256.HashData(body).AsSpan().SequenceEqual(bytes.AsSpan(bytes.Length - HashBytes)))
            throw new DataException($"{path}: checkpoint is truncated or corrupt (its checksum does not match)");
        try
        {
            using var r = new BinaryReader(new MemoryStream(bytes, 0, body.Length), Encoding.UTF8);
            r.ReadBytes(Magic.Length + 4);
            var c = new Checkpoint
            {
                Configuration = r.ReadString(),
                Epoch = r.ReadInt32(),
                StepInEpoch = r.ReadInt32(),
                GlobalStep = r.ReadInt64(),
                Optimizer = (OptimizerKind)r.ReadInt32(),
                OptimizerSteps = r.ReadInt64(),
                RunningLossSum = r.ReadDouble(),
                RunningCorrect = r.ReadInt64(),
                RunningSeen = r.ReadInt64(),
                RunningSeconds = r.ReadDouble(),
            };
            foreach (var section in new[] { c.Weights, c.OptimizerState, c.Masks })
            {
                int count = r.ReadInt32();
                if (count < 0) throw new DataException($"{path}: corrupt checkpoint (section of {count} tensors)");
                for (int i = 0; i < count; i++)
                {
                    var (name, t) = ReadTensor(r, path);
                    if (!section.TryAdd(name, t)) throw new DataException($"{path}: corrupt checkpoint (tensor '{name}' twice)");
                }
            }
            if (r.BaseStream.Position != body.Length) throw new DataException($"{path}: corrupt checkpoint (unexpected bytes at the end)");
            return c;
        }
        catch (EndOfStreamException e) { throw new DataException($"{path}: corrupt checkpoint (data ends early)", e); }
    }

    private static void WriteTensor(BinaryWriter w, string name, Tensor t)
    {
        w.Write(name);
        w.Write((int)t.Type);
        w.Write(t.Rank);
        foreach (var d in t.Shape) w.Write(d);
        switch (t.Type)
        {
            case DataType.Float32: w.Write(MemoryMarshal.AsBytes(t.Span<float>())); break;
            case DataType.Float64: w.Write(MemoryMarshal.AsBytes(t.Span<double>())); break;
            case DataType.Int64: w.Write(MemoryMarshal.AsBytes(t.Span<long>())); break;
            case DataType.Int32: w.Write(MemoryMarshal.AsBytes(t.Span<int>())); break;
            case DataType.Int16: w.Write(MemoryMarshal.AsBytes(t.Span<short>())); break;
            case DataType.UInt16: w.Write(MemoryMarshal.AsBytes(t.Span<ushort>())); break;
            case DataType.Int8 or DataType.Int4: w.Write(MemoryMarshal.AsBytes(t.Span<sbyte>())); break;
            case DataType.UInt8 or DataType.UInt4: w.Write(t.Span<byte>()); break;
            case DataType.Bool: foreach (var b in t.Span<bool>()) w.Write(b); break;
            default: throw new NotSupportedException($"tensor '{name}' of type {t.Type} cannot be checkpointed");
        }
    }

    private static (string Name, Tensor Value) ReadTensor(BinaryReader r, string path)
    {
        var name = r.ReadString();
        var type = (DataType)r.ReadInt32();
        int rank = r.ReadInt32();
        if (rank is < 0 or > 16) throw new DataException($"{path}: corrupt checkpoint (tensor '{name}' of rank {rank})");
        var shape = new int[rank];
        for (int i = 0; i < rank; i++) shape[i] = r.ReadInt32();
        Tensor t;
        try { t = Tensor.Zeros(type, shape); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException)
        { throw new DataException($"{path}: corrupt checkpoint (tensor '{name}' of type {type} and shape {ShapeMath.Format(shape)})", e); }
        Span<byte> dst = type switch
        {
            DataType.Float32 => MemoryMarshal.AsBytes(t.Span<float>()),
            DataType.Float64 => MemoryMarshal.AsBytes(t.Span<double>()),
            DataType.Int64 => MemoryMarshal.AsBytes(t.Span<long>()),
            DataType.Int32 => MemoryMarshal.AsBytes(t.Span<int>()),
            DataType.Int16 => MemoryMarshal.AsBytes(t.Span<short>()),
            DataType.UInt16 => MemoryMarshal.AsBytes(t.Span<ushort>()),
            DataType.Int8 or DataType.Int4 => MemoryMarshal.AsBytes(t.Span<sbyte>()),
            DataType.UInt8 or DataType.UInt4 => t.Span<byte>(),
            _ => default,
        };
        if (type == DataType.Bool)
        {
            var b = t.Span<bool>();
            for (int i = 0; i < b.Length; i++) b[i] = r.ReadBoolean();
        }
        else if (r.Read(dst) != dst.Length) throw new EndOfStreamException();
        return (name, t);
    }
}
