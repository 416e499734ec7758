using System.Globalization;
using Google.Protobuf;
using Prunus.Graph.Onnx.Proto;
using Prunus.Tensors;
using OnnxAttributeType = Prunus.Graph.Onnx.Proto.AttributeProto.Types.AttributeType;
using OnnxDataLocation = Prunus.Graph.Onnx.Proto.TensorProto.Types.DataLocation;

namespace Prunus.Graph.Onnx;

/// <summary>
/// Translates the graph IR into a ModelProto. Tensors are written as raw_data; initializers may be written sparse or
/// into an external data stream according to the options. Output depends only on the graph and the options, so equal
/// graphs give equal bytes.
/// </summary>
internal sealed class OnnxExport
{
    /// <summary>External data offsets are multiples of this (a page), so the data can be memory-mapped.</summary>
    public const int ExternalAlignment = 4096;

    private readonly OnnxWriteOptions options;
    private readonly Stream? external;
    private readonly string? externalName;
    private readonly long externalThreshold;
    private long externalPosition;

    /// <param name="options">Write options.</param>
    /// <param name="external">Where initializer data at or above <paramref name="externalThreshold"/> bytes goes; null keeps all data inline.</param>
    /// <param name="externalName">File name recorded as the location of external data.</param>
    /// <param name="externalThreshold">Smallest initializer (in bytes) that goes to <paramref name="external"/>.</param>
    public OnnxExport(OnnxWriteOptions options, Stream? external = null, string? externalName = null, long externalThreshold = long.MaxValue)
    {
        this.options = options;
        this.external = external;
        this.externalName = externalName;
        this.externalThreshold = externalThreshold;
    }

    /// <summary>Bytes of tensor data written inside the message.</summary>
    public long InlineTensorBytes { get; private set; }

    /// <summary>Bytes written to the external data stream (padding included).</summary>
    public long ExternalBytes => externalPosition;

    // The 4-bit types came with IR version 10; a file holding them under an older version fails the ONNX checker.
    private static long MinimumIrVersion(ModelGraph g) =>
        g.Initializers.Values.Any(t => t.Type is DataType.Int4 or DataType.UInt4)
        || g.Inputs.Concat(g.Outputs).Concat(g.ValueInfos).Any(v => v.Type is DataType.Int4 or DataType.UInt4) ? 10 : 0;

    public ModelProto Model(ModelGraph g)
    {
        var m = g.Metadata;
        long defaultOpset = options.Opset ?? (m.Opsets.TryGetValue("", out var o) ? o : m.Opsets.GetValueOrDefault("ai.onnx"));
        var p = new ModelProto { IrVersion = Math.Max(m.IrVersion, MinimumIrVersion(g)), Graph = Graph(g, defaultOpset >= GapEncoding.MinOpset) };
        if (m.ProducerName.Length > 0) p.ProducerName = m.ProducerName;
        if (m.ProducerVersion.Length > 0) p.ProducerVersion = m.ProducerVersion;
        if (m.Domain.Length > 0) p.Domain = m.Domain;
        if (m.ModelVersion != 0) p.ModelVersion = m.ModelVersion;
        if (m.DocString.Length > 0) p.DocString = m.DocString;

        bool stamped = false;
        foreach (var (domain, version) in m.Opsets)
        {
            long v = version;
            if (options.Opset is long opset && (domain.Length == 0 || domain == "ai.onnx")) { v = opset; stamped = true; }
            p.OpsetImport.Add(Opset(domain, v));
        }
        if (options.Opset is long missing && !stamped) p.OpsetImport.Add(Opset("", missing));

        foreach (var (k, v) in m.Properties) p.MetadataProps.Add(new StringStringEntryProto { Key = k, Value = v });
        foreach (var f in m.Functions) p.Functions.Add(Function(f));
        return p;
    }

    private static OperatorSetIdProto Opset(string domain, long version)
    {
        var o = new OperatorSetIdProto { Version = version };
        if (domain.Length > 0) o.Domain = domain;
        return o;
    }

    /// <summary>A graph; <paramref name="gaps"/> allows the gap encoding of sparse weights (main graph at opset 11 or later).</summary>
    private GraphProto Graph(ModelGraph g, bool gaps = false)
    {
        var p = new GraphProto();
        if (g.Name.Length > 0) p.Name = g.Name;
        if (g.DocString.Length > 0) p.DocString = g.DocString;
        var decoders = new List<Node>();
        HashSet<string>? names = null;
        foreach (var (name, t) in g.Initializers)
        {
            switch (SparseFormOf(t, gaps && options.SparseFormat == SparseWeightFormat.Gaps && CanDecode(name, t)))
            {
                case SparseWeightFormat.Gaps:
                    var (helpers, nodes) = GapEncoding.Encode(name, t);
                    foreach (var (n, v) in helpers) p.Initializer.Add(Dense(v, n, initializer: true));
                    decoders.AddRange(nodes);
                    break;
                case SparseWeightFormat.Int64Indices or SparseWeightFormat.SmallIndices:
                    p.SparseInitializer.Add(Sparse(t, name, initializer: true));
                    break;
                default:
                    p.Initializer.Add(Dense(t, name, initializer: true));
                    break;
            }
        }
        // The decoding nodes read only initializers, so they may come first.
        foreach (var n in decoders.Concat(g.Nodes)) p.Node.Add(Node(n));
        p.Input.AddRange(g.Inputs.Select(Info));
        p.Output.AddRange(g.Outputs.Select(Info));
        p.ValueInfo.AddRange(g.ValueInfos.Select(Info));
        return p;

        // The gap encoding replaces the initializer by a node output: its helper names must be free, and a graph
        // input of the same name (IR < 4 lists initializers as inputs) cannot also be computed.
        bool CanDecode(string name, Tensor t)
        {
            names ??= g.Nodes.SelectMany(n => n.Inputs.Concat(n.Outputs)).Concat(g.Initializers.Keys)
                .Concat(g.Inputs.Select(i => i.Name)).Concat(g.Outputs.Select(o => o.Name)).Concat(g.ValueInfos.Select(v => v.Name))
                .ToHashSet(StringComparer.Ordinal);
            return t.Rank > 0 && !g.Inputs.Any(i => i.Name == name) && !GapEncoding.AddedNames(name).Any(names.Contains);
        }
    }

    private NodeProto Node(Node n)
    {
        var p = new NodeProto { OpType = n.OpType };
        if (n.Name.Length > 0) p.Name = n.Name;
        if (n.Domain.Length > 0) p.Domain = n.Domain;
        if (n.Overload.Length > 0) p.Overload = n.Overload;
        if (n.DocString.Length > 0) p.DocString = n.DocString;
        p.Input.AddRange(n.Inputs);
        p.Output.AddRange(n.Outputs);
        foreach (var (name, v) in n.Attributes) p.Attribute.Add(Attribute(name, v, n.ToString()));
        return p;
    }

    private AttributeProto Attribute(string name, AttributeValue v, string owner)
    {
        var a = new AttributeProto { Name = name, Type = (OnnxAttributeType)(int)v.Kind };
        if (v.DocString.Length > 0) a.DocString = v.DocString;
        if (v.RefAttrName.Length > 0)
        {
            a.RefAttrName = v.RefAttrName;
            return a;
        }
        switch (v.Kind)
        {
            case AttributeKind.Float: a.F = v.Float; break;
            case AttributeKind.Int: a.I = v.Int; break;
            case AttributeKind.String: a.S = ByteString.CopyFrom(v.Bytes); break;
            case AttributeKind.Tensor: a.T = Dense(v.Tensor ?? throw Missing(), "", initializer: false); break;
            case AttributeKind.Graph: a.G = Graph(v.Graph ?? throw Missing()); break;
            case AttributeKind.SparseTensor: a.SparseTensor = Sparse(v.Tensor ?? throw Missing(), "", initializer: false); break;
            case AttributeKind.TypeProto: a.Tp = Type(v.TypeValue ?? TypeSpec.Unspecified); break;
            case AttributeKind.Floats: a.Floats.AddRange(v.Floats); break;
            case AttributeKind.Ints: a.Ints.AddRange(v.Ints); break;
            case AttributeKind.Strings: a.Strings.AddRange(v.StringList.Select(ByteString.CopyFrom)); break;
            case AttributeKind.Tensors: a.Tensors.AddRange(v.TensorList.Select(t => Dense(t, "", initializer: false))); break;
            case AttributeKind.Graphs: a.Graphs.AddRange(v.GraphList.Select(sub => Graph(sub))); break;
            case AttributeKind.SparseTensors: a.SparseTensors.AddRange(v.TensorList.Select(t => Sparse(t, "", initializer: false))); break;
            case AttributeKind.TypeProtos: a.TypeProtos.AddRange(v.TypeList.Select(Type)); break;
            default: throw new ModelException($"attribute '{name}' of {owner} has unknown kind {(int)v.Kind}");
        }
        return a;

        ModelException Missing() => new($"attribute '{name}' of {owner} is of kind {v.Kind} but holds no value");
    }

    private static ValueInfoProto Info(ValueInfo v)
    {
        var p = new ValueInfoProto { Name = v.Name };
        if (v.FullType is not null) p.Type = Type(v.FullType);
        else if (v.Type != DataType.Undefined || v.Dims is not null)
            p.Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)v.Type, Shape = Shape(v.Dims) } };
        if (v.DocString.Length > 0) p.DocString = v.DocString;
        return p;
    }

    private static TypeProto Type(TypeSpec t) => t.Kind switch
    {
        TypeSpecKind.Tensor => new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)t.ElementType, Shape = Shape(t.Dims) } },
        TypeSpecKind.SparseTensor => new TypeProto { SparseTensorType = new TypeProto.Types.SparseTensor { ElemType = (int)t.ElementType, Shape = Shape(t.Dims) } },
        TypeSpecKind.Sequence => new TypeProto { SequenceType = new TypeProto.Types.Sequence { ElemType = Type(t.Element ?? TypeSpec.Unspecified) } },
        TypeSpecKind.Optional => new TypeProto { OptionalType = new TypeProto.Types.Optional { ElemType = Type(t.Element ?? TypeSpec.Unspecified) } },
        TypeSpecKind.Map => new TypeProto { MapType = new TypeProto.Types.Map { KeyType = (int)t.ElementType, ValueType = Type(t.Element ?? TypeSpec.Unspecified) } },
        _ => new TypeProto(),
    };

    private static TensorShapeProto? Shape(Dim[]? dims)
    {
        if (dims is null) return null;
        var s = new TensorShapeProto();
        foreach (var d in dims)
        {
            var p = new TensorShapeProto.Types.Dimension();
            if (d.Value is int value) p.DimValue = value;
            else if (d.Symbol is not null) p.DimParam = d.Symbol;
            s.Dim.Add(p);
        }
        return s;
    }

    private FunctionProto Function(ModelFunction f)
    {
        var p = new FunctionProto { Name = f.Name };
        if (f.Domain.Length > 0) p.Domain = f.Domain;
        if (f.Overload.Length > 0) p.Overload = f.Overload;
        if (f.DocString.Length > 0) p.DocString = f.DocString;
        p.Input.AddRange(f.Inputs);
        p.Output.AddRange(f.Outputs);
        p.Attribute.AddRange(f.AttributeNames);
        foreach (var (name, v) in f.AttributeDefaults) p.AttributeProto.Add(Attribute(name, v, f.ToString()));
        foreach (var n in f.Nodes) p.Node.Add(Node(n));
        foreach (var (domain, version) in f.Opsets) p.OpsetImport.Add(Opset(domain, version));
        p.ValueInfo.AddRange(f.ValueInfos.Select(Info));
        return p;
    }


    /// <summary>
    /// How an initializer is written: null for dense; otherwise the sparse form, when more than the options' zero
    /// fraction is zero and the form is smaller than dense (4 bytes per element). Gaps is asked for only where the
    /// graph allows it, and falls back to int64 indices elsewhere.
    /// </summary>
    private SparseWeightFormat? SparseFormOf(Tensor t, bool gapsAllowed)
    {
        if (options.SparseZeroFraction is not double threshold || !GapEncoding.Supports(t.Type) || t.Length == 0) return null;
        // int8 has only the gap form (with indices it would hardly be smaller than dense), and only for weights (rank 2
        // or more): a quantized model's zero points are mostly zeros too, but runtimes look for them as initializers.
        if (t.Type != DataType.Float32 && (options.SparseFormat != SparseWeightFormat.Gaps || !gapsAllowed || t.Rank < 2)) return null;
        long nnz = t.Type == DataType.Float32 ? Kernels.SparseRows.CountNonZeros(t.Floats) : t.Length - t.Span<sbyte>().Count((sbyte)0);
        if ((double)(t.Length - nnz) / t.Length <= threshold) return null;
        int valueBytes = GapEncoding.ValueBytes(t.Type);
        long dense = (long)t.Length * valueBytes;
        var format = options.SparseFormat == SparseWeightFormat.Gaps && !gapsAllowed ? SparseWeightFormat.Int64Indices : options.SparseFormat;
        long bytes = format switch
        {
            // Values and one byte per gap, plus about 300 bytes of helper tensors, names and nodes.
            SparseWeightFormat.Gaps => GapEncoding.Entries(t) * (valueBytes + 1) + 300,
            SparseWeightFormat.SmallIndices => nnz * (4 + SmallIndexForm(t).BytesPerValue),
            _ => nnz * 12,
        };
        return bytes < dense ? format : null;
    }

    /// <summary>
    /// The cheaper index form for <paramref name="t"/>'s nonzeros: linear [NNZ] or coordinates [NNZ, rank], each in the
    /// smallest signed type (int8, int16, int32, int64: what ONNX Runtime accepts) holding its largest value.
    /// </summary>
    private static (bool Linear, int OnnxType, int ElementSize, int BytesPerValue) SmallIndexForm(Tensor t)
    {
        var data = t.Floats;
        long maxLinear = 0;
        for (int i = data.Length - 1; i >= 0; i--) if (data[i] != 0f) { maxLinear = i; break; }
        long maxCoordinate = 0;
        foreach (int d in t.Shape) maxCoordinate = Math.Max(maxCoordinate, d - 1L);
        var (linearType, linearSize) = IndexType(maxLinear);
        var (coordType, coordSize) = IndexType(maxCoordinate);
        return t.Rank <= 1 || linearSize <= coordSize * t.Rank
            ? (true, linearType, linearSize, linearSize)
            : (false, coordType, coordSize, coordSize * t.Rank);
    }

    private static (int OnnxType, int Size) IndexType(long max) => max switch
    {
        <= sbyte.MaxValue => ((int)DataType.Int8, 1),
        <= short.MaxValue => (OnnxDataTypes.Int16, 2),
        <= int.MaxValue => ((int)DataType.Int32, 4),
        _ => ((int)DataType.Int64, 8),
    };

    /// <summary>A dense TensorProto; an initializer's data goes external when it is large enough and a stream is open.</summary>
    private TensorProto Dense(Tensor t, string name, bool initializer)
    {
        var p = new TensorProto { DataType = (int)t.Type };
        if (name.Length > 0) p.Name = name;
        foreach (var d in t.Shape) p.Dims.Add(d);
        Place(p, LittleEndian.Encode(t), initializer);
        return p;
    }

    /// <summary>Sets a tensor's data: inline raw_data, or the external stream when it is large enough and open.</summary>
    private void Place(TensorProto p, byte[] raw, bool initializer)
    {
        if (initializer && external is not null && raw.Length > 0 && raw.Length >= externalThreshold)
        {
            long padding = (ExternalAlignment - externalPosition % ExternalAlignment) % ExternalAlignment;
            if (padding > 0) external.Write(new byte[padding]);
            externalPosition += padding;
            external.Write(raw);
            p.DataLocation = OnnxDataLocation.External;
            p.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = externalName });
            p.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = externalPosition.ToString(CultureInfo.InvariantCulture) });
            p.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = raw.Length.ToString(CultureInfo.InvariantCulture) });
            externalPosition += raw.Length;
        }
        else
        {
            // The array is new and never touched again, so the message may wrap it without a copy.
            p.RawData = UnsafeByteOperations.UnsafeWrap(raw);
            InlineTensorBytes += raw.Length;
        }
    }

    /// <summary>
    /// A sparse form of a dense tensor: its non-zero values and their int64 linear indices, or (for initializers with
    /// <see cref="SparseWeightFormat.SmallIndices"/>) the smallest index form.
    /// </summary>
    private SparseTensorProto Sparse(Tensor t, string name, bool initializer)
    {
        var (values, indices) = SparseForm.Of(t);
        var p = new SparseTensorProto { Values = Dense(values, name, initializer) };
        if (initializer && options.SparseFormat == SparseWeightFormat.SmallIndices && t.Type == DataType.Float32)
            p.Indices = SmallIndices(t, indices.Span<long>(), initializer);
        else
            p.Indices = Dense(indices, "", initializer);
        foreach (var d in t.Shape) p.Dims.Add(d);
        return p;
    }

    /// <summary>The indices in the form <see cref="SmallIndexForm"/> picks, little-endian raw data.</summary>
    private TensorProto SmallIndices(Tensor t, ReadOnlySpan<long> linear, bool initializer)
    {
        var (isLinear, type, size, _) = SmallIndexForm(t);
        int rank = isLinear ? 1 : t.Rank;
        var raw = new byte[(long)linear.Length * rank * size];
        var coordinate = new long[rank];
        for (int i = 0; i < linear.Length; i++)
        {
            if (isLinear) coordinate[0] = linear[i];
            else
                for (long rest = linear[i], d = rank - 1; d >= 0; d--)
                {
                    coordinate[d] = rest % t.Shape[d];
                    rest /= t.Shape[d];
                }
            for (int d = 0; d < rank; d++)
            {
                var dst = raw.AsSpan((i * rank + d) * size, size);
                switch (size)
                {
                    case 1: dst[0] = unchecked((byte)(sbyte)coordinate[d]); break;
                    case 2: System.Buffers.Binary.BinaryPrimitives.WriteInt16LittleEndian(dst, (short)coordinate[d]); break;
                    case 4: System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(dst, (int)coordinate[d]); break;
                    default: System.Buffers.Binary.BinaryPrimitives.WriteInt64LittleEndian(dst, coordinate[d]); break;
                }
            }
        }
        var p = new TensorProto { DataType = type };
        p.Dims.Add(linear.Length);
        if (!isLinear) p.Dims.Add(rank);
        Place(p, raw, initializer);
        return p;
    }
}
