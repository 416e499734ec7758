using Prunus.Graph;
using Prunus.Graph.Planning;
using Prunus.Tensors;

namespace Prunus.Tests.Support;

/// <summary>
/// Turns a float model into ONNX Runtime's QDQ format the way a static post-training quantizer does, for tests and
/// measurements of the integer execution (the product's quantizer is elsewhere): weights of Conv, Gemm and MatMul
/// symmetric int8 per output channel (or per tensor), biases int32 at scale s_x s_w, activations uint8 (or int8)
/// asymmetric from the min/max seen on calibration inputs, each as Q -> DQ. The output of a Conv/Gemm/MatMul is
/// quantized after its Relu when one follows; MaxPool, Flatten and Reshape outputs reuse their input's parameters.
/// Optionally prunes each weight to a sparsity by magnitude first.
/// </summary>
public static class QdqModels
{
    /// <summary>How to quantize.</summary>
    public sealed record Options(bool PerChannel = true, DataType Activations = DataType.UInt8, bool QuantizeBias = true, double Sparsity = 0,
        DataType Weights = DataType.Int8);

    private static bool IsProduct(Node n) => n.OpType is "Conv" or "Gemm" or "MatMul" && n.Domain is "" or "ai.onnx";

    /// <summary>The QDQ form of <paramref name="model"/>, calibrated on <paramref name="calibration"/> (inputs of the first data input).</summary>
    public static ModelGraph Quantize(ModelGraph model, IEnumerable<Tensor> calibration, Options? options = null)
    {
        options ??= new Options();
        var g = model.Clone();
        if (options.Sparsity > 0) Prune(g, options.Sparsity);
        var ranges = Calibrate(g, calibration);
        var quantized = new Dictionary<string, (float Scale, int Zero)>(StringComparer.Ordinal);
        int serial = 0;

        foreach (var node in g.Nodes.ToList())
        {
            if (IsProduct(node))
            {
                var x = node.Inputs[0];
                if (!quantized.ContainsKey(x)) quantized[x] = Insert(g, x, Params(ranges[x], options.Activations), options.Activations, ref serial);
                var (sx, _) = quantized[x];
                bool transB = node.OpType == "Gemm" && (node.Attributes.GetValueOrDefault("transB")?.Int ?? 0) != 0;
                int axis = node.OpType == "Conv" || transB ? 0 : 1;
                var sw = QuantizeWeight(g, node, axis, options, ref serial);
                if (options.QuantizeBias && node.InputOrNull(2) is { } b && g.Initializers.ContainsKey(b)) QuantizeBias(g, node, sx, sw, ref serial);
                // The value to quantize: after a Relu that alone reads the product.
                var y = node.Outputs[0];
                var readers = g.Nodes.Where(n => n.Inputs.Contains(y)).ToList();
                if (readers.Count == 1 && readers[0].OpType == "Relu" && !g.Outputs.Any(o => o.Name == y)) y = readers[0].Outputs[0];
                if (!quantized.ContainsKey(y)) quantized[y] = Insert(g, y, Params(ranges[y], options.Activations), options.Activations, ref serial);
            }
            else if (node.OpType is "MaxPool" or "Flatten" or "Reshape" && quantized.TryGetValue(node.Inputs[0], out var p)
                     && !quantized.ContainsKey(node.Outputs[0]))
                quantized[node.Outputs[0]] = Insert(g, node.Outputs[0], p, options.Activations, ref serial);
        }
        g.Nodes.Sort(TopologicalComparer(g));
        return g;
    }

    /// <summary>A copy of <paramref name="model"/> with every product's weight magnitude-pruned to <paramref name="sparsity"/> (per layer).</summary>
    public static ModelGraph Pruned(ModelGraph model, double sparsity)
    {
        var g = model.Clone();
        Prune(g, sparsity);
        return g;
    }

    /// <summary>Magnitude pruning of every product's weight to <paramref name="sparsity"/> (per layer).</summary>
    private static void Prune(ModelGraph g, double sparsity)
    {
        foreach (var node in g.Nodes.Where(IsProduct))
        {
            if (!g.Initializers.TryGetValue(node.Inputs[1], out var w)) continue;
            var v = w.Floats;
            var sorted = v.ToArray().Select(MathF.Abs).Order().ToArray();
            int cut = (int)Math.Floor(sparsity * sorted.Length);
            if (cut == 0) continue;
            float threshold = sorted[cut - 1];
            int zeroed = 0;
            for (int i = 0; i < v.Length && zeroed < cut; i++)
                if (MathF.Abs(v[i]) <= threshold) { v[i] = 0; zeroed++; }
        }
    }

    /// <summary>min and max of every float value over the calibration inputs.</summary>
    private static Dictionary<string, (float Min, float Max)> Calibrate(ModelGraph g, IEnumerable<Tensor> calibration)
    {
        var names = new HashSet<string>(g.Nodes.SelectMany(n => n.Outputs).Where(o => o.Length > 0), StringComparer.Ordinal);
        var input = g.DataInputs.First().Name;
        names.Add(input);
        var ranges = new Dictionary<string, (float Min, float Max)>(StringComparer.Ordinal);
        foreach (var batch in calibration)
        {
            var plan = Planner.Compile(g, batch.Shape, new PlanOptions { KeepValues = names });
            plan.Input(0).CopyFrom(batch);
            plan.Run();
            foreach (var name in names)
            {
                if (plan.Value(name) is not { Type: DataType.Float32 } t) continue;
                float lo = 0, hi = 0;
                foreach (var v in t.Floats) { lo = Math.Min(lo, v); hi = Math.Max(hi, v); }
                var (a, b) = ranges.GetValueOrDefault(name, (0f, 0f));
                ranges[name] = (Math.Min(a, lo), Math.Max(b, hi));
            }
        }
        return ranges;
    }

    /// <summary>Asymmetric parameters covering [min, max] (which include 0).</summary>
    private static (float Scale, int Zero) Params((float Min, float Max) r, DataType type)
    {
        float scale = (r.Max - r.Min) / 255f;
        if (!(scale > 0)) scale = 1f / 255;
        int zero = (int)Math.Clamp(Math.Round(-r.Min / scale), 0, 255);
        return (scale, type == DataType.Int8 ? zero - 128 : zero);
    }

    /// <summary>Quantizes value <paramref name="v"/> in place: its producer writes v_raw, then Q -> DQ writes v again.</summary>
    private static (float, int) Insert(ModelGraph g, string v, (float Scale, int Zero) p, DataType type, ref int serial)
    {
        int id = serial++;
        var scale = $"qdq{id}_scale";
        var zero = $"qdq{id}_zero";
        g.Initializers[scale] = Tensor.Scalar(p.Scale);
        g.Initializers[zero] = type == DataType.Int8 ? Tensor.Scalar((sbyte)p.Zero) : Tensor.Scalar((byte)p.Zero);
        string raw = $"{v}_float", q = $"{v}_quantized";
        if (g.Producer(v) is { } producer)
            producer.Outputs[producer.Outputs.IndexOf(v)] = raw;
        else
        {
            // A graph input: its readers move to the DQ's output.
            raw = v;
            v = $"{v}_dequantized";
            foreach (var n in g.Nodes)
                for (int i = 0; i < n.Inputs.Count; i++) if (n.Inputs[i] == raw) n.Inputs[i] = v;
        }
        g.Nodes.Add(new Node("QuantizeLinear", $"q{id}", [raw, scale, zero], [q]));
        g.Nodes.Add(new Node("DequantizeLinear", $"dq{id}", [q, scale, zero], [v]));
        return p;
    }

    /// <summary>Replaces the product's float weight by DQ(int8 weight); returns the weight scales (one per channel or one).</summary>
    private static float[] QuantizeWeight(ModelGraph g, Node node, int axis, Options options, ref int serial)
    {
        var name = node.Inputs[1];
        var w = g.Initializers[name];
        int channels = w.Shape[axis];
        int inner = ShapeMath.Size(w.Shape.AsSpan(axis + 1).ToArray());
        int Channel(int i) => i / inner % channels;
        var data = w.Floats;
        int count = options.PerChannel ? channels : 1;
        var maxAbs = new float[count];
        for (int i = 0; i < data.Length; i++)
        {
            int c = options.PerChannel ? Channel(i) : 0;
            maxAbs[c] = Math.Max(maxAbs[c], MathF.Abs(data[i]));
        }
        var scales = maxAbs.Select(m => m > 0 ? m / 127f : 1f).ToArray();
        int id = serial++;
        Tensor q;
        if (options.Weights == DataType.Int8)
        {
            var values = new sbyte[data.Length];
            for (int i = 0; i < data.Length; i++)
                values[i] = (sbyte)Math.Clamp(MathF.Round(data[i] / scales[options.PerChannel ? Channel(i) : 0]), -127, 127);
            q = Tensor.From(values, w.Shape);
        }
        else
        {
            var values = new byte[data.Length];
            for (int i = 0; i < data.Length; i++)
                values[i] = (byte)(Math.Clamp(MathF.Round(data[i] / scales[options.PerChannel ? Channel(i) : 0]), -127, 127) + 128);
            q = Tensor.From(values, w.Shape);
        }
        g.Initializers.Remove(name);
        g.Initializers[$"{name}_quantized"] = q;
        g.Initializers[$"{name}_scale"] = options.PerChannel ? Tensor.From(scales, channels) : Tensor.Scalar(scales[0]);
        var zeros = options.Weights == DataType.Int8
            ? (options.PerChannel ? Tensor.Zeros(DataType.Int8, channels) : Tensor.Scalar((sbyte)0))
            : (options.PerChannel ? Tensor.From(Enumerable.Repeat((byte)128, channels).ToArray(), channels) : Tensor.Scalar((byte)128));
        g.Initializers[$"{name}_zero"] = zeros;
        var dq = new Node("DequantizeLinear", $"dqw{id}", [$"{name}_quantized", $"{name}_scale", $"{name}_zero"], [name]);
        if (options.PerChannel) dq.Attributes["axis"] = AttributeValue.Of((long)axis);
        g.Nodes.Add(dq);
        return scales;
    }

    private static void QuantizeBias(ModelGraph g, Node node, float sx, float[] sw, ref int serial)
    {
        var name = node.Inputs[2];
        var b = g.Initializers[name].Floats;
        var scale = new float[b.Length];
        var q = new int[b.Length];
        for (int o = 0; o < b.Length; o++)
        {
            scale[o] = sx * sw[sw.Length == 1 ? 0 : o];
            q[o] = (int)Math.Round(b[o] / (double)scale[o]);
        }
        int id = serial++;
        g.Initializers.Remove(name);
        g.Initializers[$"{name}_quantized"] = Tensor.From(q, b.Length);
        g.Initializers[$"{name}_scale"] = sw.Length == 1 ? Tensor.Scalar(scale[0]) : Tensor.From(scale, b.Length);
        var dq = new Node("DequantizeLinear", $"dqb{id}", [$"{name}_quantized", $"{name}_scale"], [name]);
        if (sw.Length > 1) dq.Attributes["axis"] = AttributeValue.Of(0L);
        g.Nodes.Add(dq);
    }

    /// <summary>Orders nodes so that producers come first (inserted nodes were appended).</summary>
    private static Comparison<Node> TopologicalComparer(ModelGraph g)
    {
        var order = GraphValidation.TopologicalOrder(g);
        var index = new Dictionary<Node, int>();
        for (int i = 0; i < order.Count; i++) index[order[i]] = i;
        return (a, b) => index[a].CompareTo(index[b]);
    }
}
