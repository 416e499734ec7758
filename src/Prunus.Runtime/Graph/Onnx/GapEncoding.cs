using Prunus.Tensors;

namespace Prunus.Graph.Onnx;

/// <summary>
/// A compact form of a mostly-zero float32 or int8 initializer W in standard ONNX: its nonzero values, and the distance from
/// each nonzero's linear position to the previous one as one unsigned byte (gaps above 255 are bridged by explicit
/// zero entries), decoded by five standard ops that every runtime folds at load:
/// <c>W = Reshape(ScatterElements(ConstantOfShape([size]), CumSum(Cast(gaps, int32), 0), values), shape)</c>.
/// About five bytes per nonzero instead of twelve for a sparse initializer with int64 indices (the type the ONNX
/// checker requires); two instead of nine for int8 (the weights of a pruned and quantized model, read by their
/// DequantizeLinear). The reader folds the decoding back into the initializer.
/// </summary>
internal static class GapEncoding
{
    /// <summary>Oldest default-domain opset with CumSum and ScatterElements.</summary>
    public const long MinOpset = 11;

    private const string ValuesSuffix = ".values", GapsSuffix = ".gaps", SizeSuffix = ".size", ShapeSuffix = ".shape", AxisSuffix = ".axis";
    private const string Gaps32Suffix = ".gaps32", IndicesSuffix = ".indices", ZerosSuffix = ".zeros", FlatSuffix = ".flat";

    /// <summary>Whether tensors of type <paramref name="type"/> can be encoded.</summary>
    public static bool Supports(DataType type) => type is DataType.Float32 or DataType.Int8;

    /// <summary>Bytes per stored value.</summary>
    public static int ValueBytes(DataType type) => type == DataType.Int8 ? 1 : 4;

    /// <summary>Stored entries (nonzeros plus bridging zeros) of <paramref name="t"/> (float32 or int8).</summary>
    public static long Entries(Tensor t)
    {
        long entries = 0, prev = 0;
        for (int i = 0; i < t.Length; i++)
        {
            if (IsZero(t, i)) continue;
            long gap = i - prev;
            // One entry, plus the zero entries that bridge a gap longer than a byte (see Encode).
            entries += 1 + Math.Max(0, (gap - 1) / 255);
            prev = i;
        }
        return entries;
    }

    // -0f counts as zero: the decoding writes +0 there, which every consumer treats alike.
    private static bool IsZero(Tensor t, int i) => t.Type == DataType.Int8 ? t.Span<sbyte>()[i] == 0 : t.Floats[i] == 0f;

    /// <summary>The names the encoding of <paramref name="name"/> adds to a graph (helper values and node outputs).</summary>
    public static IEnumerable<string> AddedNames(string name) =>
        new[] { ValuesSuffix, GapsSuffix, SizeSuffix, ShapeSuffix, AxisSuffix, Gaps32Suffix, IndicesSuffix, ZerosSuffix, FlatSuffix }.Select(s => name + s);

    /// <summary>The helper initializers and decoding nodes that produce <paramref name="name"/> = <paramref name="t"/>.</summary>
    public static (List<(string Name, Tensor Value)> Initializers, List<Node> Nodes) Encode(string name, Tensor t)
    {
        if (!Supports(t.Type)) throw new ArgumentException($"the gap encoding stores float32 or int8 tensors, not {t.Type}", nameof(t));
        var positions = new List<int>();
        var gaps = new List<byte>();
        long prev = 0;
        for (int i = 0; i < t.Length; i++)
        {
            if (IsZero(t, i)) continue;
            long gap = i - prev;
            // A gap too long for a byte is bridged by zero entries 255 apart; they scatter zeros where zeros are.
            while (gap > 255)
            {
                gaps.Add(255);
                positions.Add(-1);
                gap -= 255;
            }
            gaps.Add((byte)gap);
            positions.Add(i);
            prev = i;
        }
        Tensor values, zero;
        if (t.Type == DataType.Int8)
        {
            var src = t.Span<sbyte>();
            var picked = new sbyte[positions.Count];
            for (int i = 0; i < picked.Length; i++) picked[i] = positions[i] < 0 ? (sbyte)0 : src[positions[i]];
            values = Tensor.From(picked, picked.Length);
            zero = Tensor.From(new sbyte[1], 1);
        }
        else
        {
            var src = t.Floats;
            var picked = new float[positions.Count];
            for (int i = 0; i < picked.Length; i++) picked[i] = positions[i] < 0 ? 0f : src[positions[i]];
            values = Tensor.From(picked, picked.Length);
            zero = Tensor.From(new[] { 0f }, 1);
        }
        long length = t.Length;
        var inits = new List<(string, Tensor)>
        {
            (name + ValuesSuffix, values),
            (name + GapsSuffix, Tensor.From(gaps.ToArray(), gaps.Count)),
            (name + SizeSuffix, Tensor.From(new long[] { length }, 1)),
            (name + ShapeSuffix, Tensor.From(t.Shape.Select(d => (long)d).ToArray(), t.Rank)),
            (name + AxisSuffix, Tensor.Scalar(0L)),
        };
        var cast = new Node("Cast", name + ".decode.cast", [name + GapsSuffix], [name + Gaps32Suffix]);
        cast.Attributes["to"] = AttributeValue.Of((long)DataType.Int32);
        var cumsum = new Node("CumSum", name + ".decode.cumsum", [name + Gaps32Suffix, name + AxisSuffix], [name + IndicesSuffix]);
        var zeros = new Node("ConstantOfShape", name + ".decode.zeros", [name + SizeSuffix], [name + ZerosSuffix]);
        zeros.Attributes["value"] = AttributeValue.Of(zero);
        var scatter = new Node("ScatterElements", name + ".decode.scatter", [name + ZerosSuffix, name + IndicesSuffix, name + ValuesSuffix], [name + FlatSuffix]);
        scatter.Attributes["axis"] = AttributeValue.Of(0L);
        var reshape = new Node("Reshape", name + ".decode.reshape", [name + FlatSuffix, name + ShapeSuffix], [name]);
        return (inits, [cast, cumsum, zeros, scatter, reshape]);
    }

    /// <summary>
    /// Replaces every decoding chain (of any value names) whose leaves are initializers by the initializer it
    /// computes, and drops the helper initializers nothing else reads. Chains that do not decode cleanly (indices out
    /// of range or not increasing, sizes that disagree) are left as they are.
    /// </summary>
    public static void Fold(ModelGraph g)
    {
        if (!g.Nodes.Any(n => n.OpType == "ScatterElements" && n.Domain is "" or "ai.onnx")) return;
        var producer = new Dictionary<string, Node>(StringComparer.Ordinal);
        var readers = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var n in g.Nodes)
        {
            foreach (var o in n.Outputs) producer[o] = n;
            foreach (var i in n.Inputs) readers[i] = readers.GetValueOrDefault(i) + 1;
        }
        var outputs = g.Outputs.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var removed = new HashSet<Node>();
        var helpers = new HashSet<string>(StringComparer.Ordinal);
        var folded = new Dictionary<string, (string Name, Tensor Value)>(StringComparer.Ordinal);
        foreach (var reshape in g.Nodes.Where(n => Is(n, "Reshape", 2)).ToList())
        {
            string name = reshape.Outputs[0];
            if (outputs.Contains(name) || g.Initializers.ContainsKey(name)) continue;
            if (!Only(reshape.Inputs[0], "ScatterElements", 3, out var scatter)) continue;
            if (scatter.Attributes.TryGetValue("axis", out var axisAttr) && axisAttr.Int != 0) continue;
            if (scatter.Attributes.TryGetValue("reduction", out var red) && red.String != "none") continue;
            if (!Only(scatter.Inputs[0], "ConstantOfShape", 1, out var zeros) || !Only(scatter.Inputs[1], "CumSum", 2, out var cumsum)) continue;
            if (!Only(cumsum.Inputs[0], "Cast", 1, out var cast)) continue;
            if (cumsum.Attributes.Any(a => a.Value.Int != 0)) continue;  // exclusive / reverse
            // ConstantOfShape defaults to float zeros, but keep to what is written: a one-element zero of the values' type.
            if (!zeros.Attributes.TryGetValue("value", out var zv) || zv.Tensor is not { Length: 1 } z || !Supports(z.Type) || !IsZero(z, 0)) continue;
            if (!Const(reshape.Inputs[1], DataType.Int64, out var shapeT) || !Const(scatter.Inputs[2], z.Type, out var valuesT)
                || !Const(zeros.Inputs[0], DataType.Int64, out var sizeT) || !Const(cast.Inputs[0], DataType.UInt8, out var gapsT)
                || !Const(cumsum.Inputs[1], DataType.Int64, out var axisT)) continue;
            // Values and gaps belong to this chain alone (shape, size and axis may be shared).
            if (readers.GetValueOrDefault(scatter.Inputs[2]) != 1 || readers.GetValueOrDefault(cast.Inputs[0]) != 1) continue;
            if (axisT.Length != 1 || axisT.Span<long>()[0] != 0 || sizeT.Length != 1 || valuesT.Rank != 1 || gapsT.Rank != 1 || gapsT.Length != valuesT.Length) continue;
            if (Decode(shapeT.Span<long>(), sizeT.Span<long>()[0], gapsT.Span<byte>(), valuesT) is not { } dense) continue;

            // Kept where its values were, so that reading and writing again gives the same file.
            folded[scatter.Inputs[2]] = (name, dense);
            removed.UnionWith([reshape, scatter, zeros, cumsum, cast]);
            helpers.UnionWith([reshape.Inputs[1], scatter.Inputs[2], zeros.Inputs[0], cast.Inputs[0], cumsum.Inputs[1]]);
            var intermediates = new[] { reshape.Inputs[0], scatter.Inputs[0], scatter.Inputs[1], cumsum.Inputs[0] };
            g.ValueInfos.RemoveAll(v => intermediates.Contains(v.Name, StringComparer.Ordinal) || v.Name == name);
        }
        if (removed.Count == 0) return;
        g.Nodes.RemoveAll(removed.Contains);
        var stillRead = g.Nodes.SelectMany(n => n.Inputs).Concat(outputs).ToHashSet(StringComparer.Ordinal);
        var order = g.Initializers.ToList();
        g.Initializers.Clear();
        foreach (var (k, v) in order)
        {
            if (folded.TryGetValue(k, out var weight)) g.Initializers[weight.Name] = weight.Value;
            if (!helpers.Contains(k) || stillRead.Contains(k) || SubgraphsRead(g, k)) g.Initializers[k] = v;
        }

        // value is produced by one node of the given type with `inputs` inputs, read once, and not a graph output.
        bool Only(string value, string op, int inputs, out Node node)
        {
            node = null!;
            if (!producer.TryGetValue(value, out var n) || !Is(n, op, inputs) || readers.GetValueOrDefault(value) != 1 || outputs.Contains(value)) return false;
            node = n;
            return true;
        }

        bool Const(string value, DataType type, out Tensor t)
        {
            t = null!;
            if (!g.Initializers.TryGetValue(value, out var v) || v.Type != type || producer.ContainsKey(value)) return false;
            t = v;
            return true;
        }
    }

    private static bool Is(Node n, string op, int inputs) => n.OpType == op && n.Domain is "" or "ai.onnx" && n.Outputs.Count == 1
        && n.Inputs.Count == inputs && n.Inputs.All(i => i.Length > 0);

    private static bool SubgraphsRead(ModelGraph g, string name) => g.Nodes.Any(n => n.Attributes.Values.Any(a =>
        (a.Graph is { } sub && (sub.Nodes.Any(m => m.Inputs.Contains(name)) || SubgraphsRead(sub, name)))
        || a.GraphList.Any(sub => sub.Nodes.Any(m => m.Inputs.Contains(name)) || SubgraphsRead(sub, name))));

    /// <summary>The dense tensor (of the values' type), or null when the encoding is inconsistent.</summary>
    private static Tensor? Decode(ReadOnlySpan<long> shape, long size, ReadOnlySpan<byte> gaps, Tensor values)
    {
        long count = 1;
        var dims = new int[shape.Length];
        for (int d = 0; d < shape.Length; d++)
        {
            if (shape[d] < 0 || shape[d] > int.MaxValue) return null;
            dims[d] = (int)shape[d];
            count *= shape[d];
            if (count > int.MaxValue) return null;
        }
        if (count != size) return null;
        var positions = new int[gaps.Length];
        long pos = 0;
        for (int i = 0; i < gaps.Length; i++)
        {
            pos += gaps[i];
            // Positions must increase (ScatterElements with repeated indices is ill-defined); only the first gap may be 0.
            if (pos >= count || (i > 0 && gaps[i] == 0)) return null;
            positions[i] = (int)pos;
        }
        if (values.Type == DataType.Int8)
        {
            var dense = new sbyte[count];
            var v = values.Span<sbyte>();
            for (int i = 0; i < positions.Length; i++) dense[positions[i]] = v[i];
            return Tensor.From(dense, dims);
        }
        else
        {
            var dense = new float[count];
            var v = values.Floats;
            for (int i = 0; i < positions.Length; i++) dense[positions[i]] = v[i];
            return Tensor.From(dense, dims);
        }
    }
}
