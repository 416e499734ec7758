using Prunus.Graph.Onnx.Proto;
using Prunus.Tensors;
using OnnxAttributeType = Prunus.Graph.Onnx.Proto.AttributeProto.Types.AttributeType;

namespace Prunus.Graph.Onnx;

/// <summary>Translates a parsed ModelProto into the graph IR, message by message.</summary>
internal sealed class OnnxImport
{
    private readonly OnnxTensorDecoder tensors;

    public OnnxImport(OnnxTensorDecoder tensors) => this.tensors = tensors;

    public ModelGraph Model(ModelProto p)
    {
        var g = Graph(p.Graph, "");
        var m = new ModelMetadata
        {
            IrVersion = p.IrVersion,
            ProducerName = p.ProducerName,
            ProducerVersion = p.ProducerVersion,
            Domain = p.Domain,
            ModelVersion = p.ModelVersion,
            DocString = p.DocString,
        };
        m.Opsets.Clear();
        foreach (var o in p.OpsetImport) m.Opsets[o.Domain] = o.Version;
        foreach (var e in p.MetadataProps) m.Properties[e.Key] = e.Value;
        foreach (var f in p.Functions) m.Functions.Add(Function(f));
        g.Metadata = m;
        return g;
    }

    /// <summary>A graph; <paramref name="scope"/> says where a subgraph sits, for error messages ("" for the main graph).</summary>
    private ModelGraph Graph(GraphProto p, string scope)
    {
        var g = new ModelGraph { Name = p.Name, DocString = p.DocString };
        g.Inputs.AddRange(p.Input.Select(Info));
        g.Outputs.AddRange(p.Output.Select(Info));
        g.ValueInfos.AddRange(p.ValueInfo.Select(Info));
        for (int i = 0; i < p.Initializer.Count; i++)
        {
            var t = p.Initializer[i];
            if (t.Name.Length == 0) throw tensors.Error($"initializer #{i}{scope} has no name");
            string what = $"initializer '{t.Name}'{scope}";
            if (g.Initializers.ContainsKey(t.Name)) throw tensors.Error($"{what} is defined twice");
            g.Initializers[t.Name] = tensors.Dense(t, what);
        }
        for (int i = 0; i < p.SparseInitializer.Count; i++)
        {
            var s = p.SparseInitializer[i];
            string name = s.Values?.Name ?? "";
            if (name.Length == 0) throw tensors.Error($"sparse initializer #{i}{scope} has no name (its values tensor must be named)");
            string what = $"sparse initializer '{name}'{scope}";
            if (g.Initializers.ContainsKey(name)) throw tensors.Error($"{what} is defined twice");
            g.Initializers[name] = tensors.Sparse(s, what);
        }
        for (int i = 0; i < p.Node.Count; i++) g.Nodes.Add(Node(p.Node[i], i, scope));
        // Weights written in the gap encoding come back as the initializers they decode to.
        GapEncoding.Fold(g);
        return g;
    }

    private Node Node(NodeProto p, int index, string scope)
    {
        string label = (p.Name.Length > 0 ? $"node '{p.Name}' ({p.OpType})" : $"{p.OpType} node #{index}") + scope;
        if (p.OpType.Length == 0) throw tensors.Error($"node #{index}{scope} ('{p.Name}') has no op type");
        var n = new Node(p.OpType, p.Name, p.Input, p.Output) { Domain = p.Domain, DocString = p.DocString, Overload = p.Overload };
        foreach (var a in p.Attribute) n.Attributes[a.Name] = Attribute(a, label);
        return n;
    }

    private AttributeValue Attribute(AttributeProto a, string owner)
    {
        string what = $"attribute '{a.Name}' of {owner}";
        var type = a.HasType && a.Type != OnnxAttributeType.Undefined ? a.Type : InferType(a, what);
        if (!Enum.IsDefined(type) || type == OnnxAttributeType.Undefined)
            throw tensors.Error($"{what} has unknown type {(int)type}");
        var kind = (AttributeKind)(int)type;
        var v = a.RefAttrName.Length > 0 ? AttributeValue.Reference(kind, a.RefAttrName) : kind switch
        {
            AttributeKind.Float => AttributeValue.Of(a.F),
            AttributeKind.Int => AttributeValue.Of(a.I),
            AttributeKind.String => AttributeValue.OfBytes(a.S.ToByteArray()),
            AttributeKind.Tensor => AttributeValue.Of(tensors.Dense(a.T ?? throw Missing(what, "tensor"), "tensor " + what)),
            AttributeKind.Graph => AttributeValue.Of(Graph(a.G ?? throw Missing(what, "graph"), $" in subgraph '{a.Name}' of {owner}")),
            AttributeKind.SparseTensor => AttributeValue.Sparse(tensors.Sparse(a.SparseTensor ?? throw Missing(what, "sparse tensor"), "sparse tensor " + what)),
            AttributeKind.TypeProto => AttributeValue.Of(Type(a.Tp)),
            AttributeKind.Floats => AttributeValue.Of(a.Floats.ToArray()),
            AttributeKind.Ints => AttributeValue.Of(a.Ints.ToArray()),
            AttributeKind.Strings => AttributeValue.OfByteStrings(a.Strings.Select(s => s.ToByteArray()).ToArray()),
            AttributeKind.Tensors => AttributeValue.Of(a.Tensors.Select((t, i) => tensors.Dense(t, $"tensor #{i} of {what}")).ToArray()),
            AttributeKind.Graphs => AttributeValue.Of(a.Graphs.Select((g, i) => Graph(g, $" in subgraph #{i} of {what}")).ToArray()),
            AttributeKind.SparseTensors => AttributeValue.Sparse(a.SparseTensors.Select((s, i) => tensors.Sparse(s, $"sparse tensor #{i} of {what}")).ToArray()),
            _ => AttributeValue.Of(a.TypeProtos.Select(Type).ToArray()),
        };
        return a.DocString.Length > 0 ? v.WithDocString(a.DocString) : v;
    }

    private ModelException Missing(string what, string field) => tensors.Error($"{what} is of type {field} but holds no {field}");

    /// <summary>Files from before IR version 2 leave the type out; it follows from which value field is set.</summary>
    private OnnxAttributeType InferType(AttributeProto a, string what)
    {
        if (a.HasF) return OnnxAttributeType.Float;
        if (a.HasI) return OnnxAttributeType.Int;
        if (a.HasS) return OnnxAttributeType.String;
        if (a.T is not null) return OnnxAttributeType.Tensor;
        if (a.G is not null) return OnnxAttributeType.Graph;
        if (a.SparseTensor is not null) return OnnxAttributeType.SparseTensor;
        if (a.Tp is not null) return OnnxAttributeType.TypeProto;
        if (a.Floats.Count > 0) return OnnxAttributeType.Floats;
        if (a.Ints.Count > 0) return OnnxAttributeType.Ints;
        if (a.Strings.Count > 0) return OnnxAttributeType.Strings;
        if (a.Tensors.Count > 0) return OnnxAttributeType.Tensors;
        if (a.Graphs.Count > 0) return OnnxAttributeType.Graphs;
        if (a.SparseTensors.Count > 0) return OnnxAttributeType.SparseTensors;
        if (a.TypeProtos.Count > 0) return OnnxAttributeType.TypeProtos;
        throw tensors.Error($"{what} has neither a type nor a value");
    }

    private static ValueInfo Info(ValueInfoProto p)
    {
        var t = p.Type;
        ValueInfo v = t?.ValueCase switch
        {
            null or TypeProto.ValueOneofCase.None => new ValueInfo(p.Name, DataType.Undefined, null),
            TypeProto.ValueOneofCase.TensorType => new ValueInfo(p.Name, (DataType)t.TensorType.ElemType, Dims(t.TensorType.Shape)),
            _ => new ValueInfo(p.Name, DataType.Undefined, null) { FullType = Type(t) },
        };
        v.DocString = p.DocString;
        return v;
    }

    private static TypeSpec Type(TypeProto? t) => t?.ValueCase switch
    {
        TypeProto.ValueOneofCase.TensorType => TypeSpec.Tensor((DataType)t.TensorType.ElemType, Dims(t.TensorType.Shape)),
        TypeProto.ValueOneofCase.SparseTensorType => TypeSpec.SparseTensor((DataType)t.SparseTensorType.ElemType, Dims(t.SparseTensorType.Shape)),
        TypeProto.ValueOneofCase.SequenceType => TypeSpec.Sequence(Type(t.SequenceType.ElemType)),
        TypeProto.ValueOneofCase.OptionalType => TypeSpec.Optional(Type(t.OptionalType.ElemType)),
        TypeProto.ValueOneofCase.MapType => TypeSpec.Map((DataType)t.MapType.KeyType, Type(t.MapType.ValueType)),
        _ => TypeSpec.Unspecified,
    };

    /// <summary>Declared dims; a value that is negative or beyond int is not a usable size and reads as unknown.</summary>
    private static Dim[]? Dims(TensorShapeProto? shape) => shape?.Dim.Select(d => d.ValueCase switch
    {
        TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue when d.DimValue is >= 0 and <= int.MaxValue => new Dim((int)d.DimValue, null),
        TensorShapeProto.Types.Dimension.ValueOneofCase.DimParam => Dim.Sym(d.DimParam),
        _ => new Dim(null, null),
    }).ToArray();

    private ModelFunction Function(FunctionProto p)
    {
        var f = new ModelFunction(p.Domain, p.Name) { Overload = p.Overload, DocString = p.DocString };
        string scope = $" in function '{p.Domain}.{p.Name}'";
        f.Inputs.AddRange(p.Input);
        f.Outputs.AddRange(p.Output);
        f.AttributeNames.AddRange(p.Attribute);
        foreach (var a in p.AttributeProto) f.AttributeDefaults[a.Name] = Attribute(a, $"function '{p.Domain}.{p.Name}'");
        for (int i = 0; i < p.Node.Count; i++) f.Nodes.Add(Node(p.Node[i], i, scope));
        f.ValueInfos.AddRange(p.ValueInfo.Select(Info));
        foreach (var o in p.OpsetImport) f.Opsets[o.Domain] = o.Version;
        return f;
    }
}
