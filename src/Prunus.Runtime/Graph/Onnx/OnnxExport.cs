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

    public ModelProto Model(ModelGraph g)
    {
        var m = g.Metadata;
        var p = new ModelProto { IrVersion = m.IrVersion, Graph = Graph(g) };
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

    private GraphProto Graph(ModelGraph g)
    {
        var p = new GraphProto();
        if (g.Name.Length > 0) p.Name = g.Name;
        if (g.DocString.Length > 0) p.DocString = g.DocString;
        foreach (var n in g.Nodes) p.Node.Add(Node(n));
        foreach (var (name, t) in g.Initializers)
        {
            if (WriteSparse(t)) p.SparseInitializer.Add(Sparse(t, name, initializer: true));
            else p.Initializer.Add(Dense(t, name, initializer: true));
        }
        p.Input.AddRange(g.Inputs.Select(Info));
        p.Output.AddRange(g.Outputs.Select(Info));
        p.ValueInfo.AddRange(g.ValueInfos.Select(Info));
        return p;
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
            case AttributeKind.Graphs: a.Graphs.AddRange(v.GraphList.Select(Graph)); break;
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

    private bool WriteSparse(Tensor t)
    {
        if (options.SparseZeroFraction is not double threshold || t.Type != DataType.Float32 || t.Length == 0) return false;
        int zeros = 0;
        foreach (var v in t.Floats) if (v == 0f) zeros++;
        long nnz = t.Length - zeros;
        // Sparse costs 4 bytes of value plus 8 of int64 index per non-zero, dense 4 per element.
        return (double)zeros / t.Length > threshold && nnz * 12 < (long)t.Length * 4;
    }

    /// <summary>A dense TensorProto; an initializer's data goes external when it is large enough and a stream is open.</summary>
    private TensorProto Dense(Tensor t, string name, bool initializer)
    {
        var p = new TensorProto { DataType = (int)t.Type };
        if (name.Length > 0) p.Name = name;
        foreach (var d in t.Shape) p.Dims.Add(d);
        byte[] raw = LittleEndian.Encode(t);
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
        return p;
    }

    /// <summary>A sparse form of a dense tensor: its non-zero values and their int64 linear indices.</summary>
    private SparseTensorProto Sparse(Tensor t, string name, bool initializer)
    {
        var (values, indices) = SparseForm.Of(t);
        var p = new SparseTensorProto
        {
            Values = Dense(values, name, initializer),
            Indices = Dense(indices, "", initializer),
        };
        foreach (var d in t.Shape) p.Dims.Add(d);
        return p;
    }
}
