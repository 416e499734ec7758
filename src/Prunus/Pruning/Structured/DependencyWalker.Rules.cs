using Prunus.Graph;
using Prunus.Tensors;

namespace Prunus.Pruning.Structured;

// The rules of the walk for producers, consumers and channel-wise ops. Each rule marks the inputs it took care of in
// `handled`; the walk blocks the channels of any other input that carries some.
internal sealed partial class DependencyWalker
{
    private static readonly HashSet<string> Unary = new(StringComparer.Ordinal)
    {
        "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Gelu", "HardSigmoid", "HardSwish", "Elu", "Selu", "Softplus", "Mish",
        "Identity", "Neg", "Abs", "Sqrt", "Exp", "Log", "Reciprocal", "Floor", "Ceil", "Erf", "Round", "Sign", "Sin", "Cos",
        "Cast", "Not",
    };

    private static readonly HashSet<string> Elementwise = new(StringComparer.Ordinal)
    {
        "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Sum", "Mean", "Where", "PRelu", "Mod",
        "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor",
    };

    private static readonly HashSet<string> Reductions = new(StringComparer.Ordinal)
    {
        "ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSum",
        "ReduceLogSumExp", "ReduceSumSquare",
    };

    /// <summary>Applies the rule of <paramref name="n"/>'s op; false when there is none.</summary>
    private bool Visit(Node n, HashSet<int> handled)
    {
        var op = n.OpType;
        if (Unary.Contains(op)) { PassThrough(n, handled); return true; }
        if (Elementwise.Contains(op)) { Broadcast(n, handled, Enumerable.Range(0, n.Inputs.Count)); return true; }
        if (Reductions.Contains(op)) { Reduce(n, handled); return true; }
        switch (op)
        {
            case "Conv": Conv(n, handled); return true;
            case "ConvTranspose": ConvTranspose(n, handled); return true;
            case "Gemm": Gemm(n, handled); return true;
            case "MatMul": MatMul(n, handled); return true;
            case "Clip": PassThrough(n, handled); return true;
            case "Dropout": Dropout(n, handled); return true;
            case "MaxPool" or "AveragePool" or "LpPool" or "GlobalAveragePool" or "GlobalMaxPool" or "GlobalLpPool": Pool(n, handled); return true;
            case "BatchNormalization": Normalization(n, handled, 4, trainingOutputs: true); return true;
            case "InstanceNormalization": Normalization(n, handled, 2, trainingOutputs: false); return true;
            case "Softmax" or "LogSoftmax" or "Hardmax": Softmax(n, handled); return true;
            case "LayerNormalization": LayerNorm(n, handled); return true;
            case "Pad": Pad(n, handled); return true;
            case "Resize" or "Upsample": Resize(n, handled); return true;
            case "Transpose": Transpose(n, handled); return true;
            case "Reshape" or "Flatten" or "Squeeze" or "Unsqueeze": View(n, handled); return true;
            case "Concat": Concat(n, handled); return true;
            case "Split": Split(n, handled); return true;
            case "Slice": Slice(n, handled); return true;
            case "Gather": Gather(n, handled); return true;
            case "Shape": Shape(n, handled); return true;
            default: return false;
        }
    }

    /// <summary>Output 0 has the channels of input 0 (an op acting on each element or each channel alone).</summary>
    private void PassThrough(Node n, HashSet<int> handled)
    {
        handled.Add(0);
        if (Map(n.Inputs[0]) is { } m && n.Outputs.Count > 0) Set(n.Outputs[0], m);
    }

    private void Dropout(Node n, HashSet<int> handled)
    {
        PassThrough(n, handled);
        handled.Add(1);
        handled.Add(2);
        // The mask has the data's shape, so it carries the same channels.
        if (Map(n.Inputs[0]) is { } m && n.Outputs.Count > 1) Set(n.Outputs[1], m);
    }

    private void Pool(Node n, HashSet<int> handled)
    {
        handled.Add(0);
        if (Map(n.Inputs[0]) is not { } m) return;
        if (m.Axis != 1) { Block(m, $"{Describe(n)} pools over the channel axis"); return; }
        // MaxPool's indices count positions across channels too.
        if (n.Outputs.Count > 1 && Used(n.Outputs[1])) { Block(m, $"{Describe(n)} returns indices that depend on the channel count"); return; }
        Set(n.Outputs[0], m);
    }

    private void Conv(Node n, HashSet<int> handled)
    {
        handled.Add(0);
        var xm = Map(n.Inputs[0]);
        var wName = n.InputOrNull(1);
        var bName = n.InputOrNull(2);
        var w = Init(wName);
        if (w is null || w.Rank < 3)
        {
            if (xm is not null) Block(xm, $"{Describe(n)} has a weight that is not a constant");
            return;
        }
        handled.Add(1);
        var b = Init(bName);
        bool biasOk = bName is null || b is not null && b.Rank == 1 && b.Length == w.Shape[0];
        if (biasOk) handled.Add(2);
        long group = Int(n, "group", 1);
        int k = w.Shape[0], perGroup = w.Shape[1];
        if (group == 1)
        {
            if (xm is not null)
            {
                if (xm.Axis == 1 && xm.Units.Length == perGroup) Member(MemberRole.ConsumerWeight, n, wName, 1, xm.Units);
                else Block(xm, $"{Describe(n)} reads channels on an axis other than 1");
            }
            OpenProducer(n, k, 1, wName!, 0, biasOk ? bName : null, biasOk ? null : $"{Describe(n)} has a bias that is not a per-channel constant");
            return;
        }
        if (xm is not null && k % group == 0 && xm.Axis == 1 && xm.Units.Length == group * perGroup && biasOk)
        {
            GroupedConv(n, xm, (int)group, perGroup, k, wName, bName);
            return;
        }
        // A depthwise convolution of an input without channel groups (the image) neither opens nor carries any.
        if (xm is null && perGroup == 1 && k % group == 0) return;
        var reason = xm is null
            ? $"{Describe(n)} is a grouped convolution (group={group}) whose input channels no group removes"
            : $"{Describe(n)} is a grouped convolution (group={group}) whose input or bias does not match its groups";
        if (xm is not null) Block(xm, reason);
        OpenProducer(n, k, 1, wName!, 0, biasOk ? bName : null, reason);
    }

    /// <summary>
    /// A grouped convolution (depthwise when each group reads one channel): group g reads input channels
    /// [g*Cg, (g+1)*Cg) and writes output channels [g*Kg, (g+1)*Kg). Groups must stay the same size, so a group is
    /// removed whole: its Cg input channels are joined into one class, and its Kg output channels (weight rows and
    /// bias) and one count of the group attribute go with it. Channels pass through, as in a depthwise convolution.
    /// </summary>
    private void GroupedConv(Node n, ChannelMap xm, int group, int perGroup, int k, string? wName, string? bName)
    {
        var groupUnits = new int[group];
        for (int g = 0; g < group; g++)
        {
            var members = xm.Units.AsSpan(g * perGroup, perGroup);
            int first = members[0];
            if (members.Contains(-1))
            {
                // A channel no group removes pins its whole group.
                foreach (var u in members)
                    if (u >= 0) _blocked.TryAdd(u, $"{Describe(n)} groups it with channels no group removes");
                first = -1;
            }
            else
                foreach (var u in members[1..]) Union(first, u);
            groupUnits[g] = first;
        }
        int kg = k / group;
        var units = new int[k];
        for (int j = 0; j < k; j++) units[j] = groupUnits[j / kg];
        Member(MemberRole.DepthwiseWeight, n, wName, 0, units);
        if (bName is not null) Member(MemberRole.DepthwiseBias, n, bName, 0, units);
        Member(MemberRole.GroupAttribute, n, null, 1, groupUnits);
        Set(n.Outputs[0], new ChannelMap(1, units));
    }

    private void ConvTranspose(Node n, HashSet<int> handled)
    {
        handled.Add(0);
        var xm = Map(n.Inputs[0]);
        var wName = n.InputOrNull(1);
        var bName = n.InputOrNull(2);
        var w = Init(wName);
        long group = Int(n, "group", 1);
        if (w is null || w.Rank < 3 || group != 1)
        {
            if (xm is not null) Block(xm, $"{Describe(n)} has a weight that is not a constant, or groups");
            return;
        }
        handled.Add(1);
        var b = Init(bName);
        bool biasOk = bName is null || b is not null && b.Rank == 1 && b.Length == w.Shape[1];
        if (biasOk) handled.Add(2);
        // W [C, K, k...]: input channels on axis 0, output channels on axis 1.
        if (xm is not null)
        {
            if (xm.Axis == 1 && xm.Units.Length == w.Shape[0]) Member(MemberRole.ConsumerWeight, n, wName, 0, xm.Units);
            else Block(xm, $"{Describe(n)} reads channels on an axis other than 1");
        }
        OpenProducer(n, w.Shape[1], 1, wName!, 1, biasOk ? bName : null, biasOk ? null : $"{Describe(n)} has a bias that is not a per-channel constant");
    }

    private void Gemm(Node n, HashSet<int> handled)
    {
        handled.Add(0);
        var am = Map(n.Inputs[0]);
        var bName = n.InputOrNull(1);
        var b = Init(bName);
        if (b is null || b.Rank != 2)
        {
            if (am is not null) Block(am, $"{Describe(n)} has a B that is not a constant matrix");
            return;
        }
        handled.Add(1);
        bool transA = Int(n, "transA", 0) != 0, transB = Int(n, "transB", 0) != 0;
        int inFeatures = transB ? b.Shape[1] : b.Shape[0], outFeatures = transB ? b.Shape[0] : b.Shape[1];
        if (am is not null)
        {
            if (!transA && am.Axis == 1 && am.Units.Length == inFeatures) Member(MemberRole.ConsumerWeight, n, bName, transB ? 1 : 0, am.Units);
            else Block(am, $"{Describe(n)} reads features on an axis other than its reduction (transA)");
        }
        string? problem = null;
        string? bias = null;
        var cName = n.InputOrNull(2);
        if (cName is not null)
        {
            var c = Init(cName);
            if (c is null) problem = $"{Describe(n)} adds a C that is not a constant";
            else
            {
                handled.Add(2);
                if (c.Length == outFeatures && c.Rank >= 1 && c.Shape[^1] == outFeatures) bias = cName;
                else if (c.Length != 1) problem = $"{Describe(n)} adds a C that is not one value per output feature";
            }
        }
        OpenProducer(n, outFeatures, 1, bName!, transB ? 0 : 1, bias, problem, biasAxis: bias is null ? 0 : Init(bias)!.Rank - 1);
    }

    private void MatMul(Node n, HashSet<int> handled)
    {
        var am = Map(n.Inputs[0]);
        var bName = n.InputOrNull(1);
        var b = Init(bName);
        if (b is null || b.Rank != 2 || Rank(n.Inputs[0]) is not { } rank)
        {
            BatchedMatMul(n, handled);
            return;
        }
        handled.Add(0);
        handled.Add(1);
        if (am is not null)
        {
            if (am.Axis == rank - 1 && am.Units.Length == b.Shape[0]) Member(MemberRole.ConsumerWeight, n, bName, 0, am.Units);
            else Block(am, $"{Describe(n)} reads channels on an axis other than its last");
        }
        OpenProducer(n, b.Shape[1], rank == 1 ? 0 : rank - 1, bName!, 1, null, null);
    }

    /// <summary>
    /// MatMul of activations (attention's Q·Kᵀ and P·V): channels on the batch axes (heads) pass through and join
    /// as in elementwise broadcasting; channels on the two matrix axes are mixed and blocked.
    /// </summary>
    private void BatchedMatMul(Node n, HashSet<int> handled)
    {
        handled.Add(0);
        handled.Add(1);
        var mapped = new[] { 0, 1 }.Where(i => Map(n.Inputs[i]) is not null).ToList();
        foreach (var i in mapped)
        {
            var m = Map(n.Inputs[i])!;
            if (Rank(n.Inputs[i]) is not { } r || Rank(n.Inputs[1 - i]) is not >= 2 || r < 2 || m.Axis >= r - 2)
            {
                foreach (var j in mapped) Block(Map(n.Inputs[j])!, $"{Describe(n)} multiplies along the channels");
                return;
            }
        }
        Broadcast(n, handled, [0, 1]);
    }

    /// <summary>New channels written by <paramref name="n"/>: its weight's rows (on <paramref name="weightAxis"/>) and bias.</summary>
    private void OpenProducer(Node n, int count, int axis, string weight, int weightAxis, string? bias, string? problem, int biasAxis = 0)
    {
        var m = NewProducer(n, count, axis);
        Member(MemberRole.ProducerWeight, n, weight, weightAxis, m.Units);
        if (bias is not null) Member(MemberRole.ProducerBias, n, bias, biasAxis, m.Units);
        if (problem is not null) Block(m, problem);
        Set(n.Outputs[0], m);
    }

    private void Normalization(Node n, HashSet<int> handled, int parameters, bool trainingOutputs)
    {
        handled.Add(0);
        if (Map(n.Inputs[0]) is not { } m) return;
        if (m.Axis != 1) { Block(m, $"{Describe(n)} normalizes channels on axis 1, not {m.Axis}"); return; }
        for (int i = 1; i <= parameters; i++)
        {
            var name = n.InputOrNull(i);
            var t = Init(name);
            if (t is null || t.Rank != 1 || t.Length != m.Units.Length)
            {
                Block(m, $"{Describe(n)} has per-channel parameters that are not constants");
                return;
            }
            handled.Add(i);
        }
        for (int i = 1; i <= parameters; i++) Member(MemberRole.Normalization, n, n.Inputs[i], 0, m.Units);
        if (trainingOutputs && n.Outputs.Skip(1).Any(Used)) Block(m, $"{Describe(n)} returns running statistics that something reads");
        Set(n.Outputs[0], m);
    }

    /// <summary>
    /// Elementwise ops with broadcasting: every input carrying the output's channel axis in full joins the others
    /// (residual Add, squeeze-excite Mul); per-channel constants are sliced; inputs broadcast along it are independent.
    /// </summary>
    private void Broadcast(Node n, HashSet<int> handled, IEnumerable<int> inputs)
    {
        var indices = inputs.Where(i => i < n.Inputs.Count && n.Inputs[i].Length > 0).ToList();
        var mapped = indices.Where(i => Map(n.Inputs[i]) is not null).ToList();
        foreach (var i in indices) handled.Add(i);
        void BlockAll(string why) { foreach (var i in mapped) Block(Map(n.Inputs[i])!, $"{Describe(n)}: {why}"); }
        if (n.Outputs.Count == 0 || Rank(n.Outputs[0]) is not { } r || Dims(n.Outputs[0]) is not { } outDims) { BlockAll("its output shape is unknown"); return; }
        int? axis = null;
        foreach (var i in mapped)
        {
            if (Rank(n.Inputs[i]) is not { } ri) { BlockAll("an input shape is unknown"); return; }
            int o = Map(n.Inputs[i])!.Axis + r - ri;
            if (axis is null) axis = o;
            else if (axis != o) { BlockAll("its inputs carry channels on different axes"); return; }
        }
        if (axis is not { } oa || outDims[oa] is not { } channels) { BlockAll("the channel count of its output is unknown"); return; }
        ChannelMap? result = null;
        var constants = new List<(string Name, int Axis)>();
        string? fixedInput = null;
        foreach (var i in indices)
        {
            var name = n.Inputs[i];
            if (Rank(name) is not { } ri || Dims(name) is not { } dims) { BlockAll("an input shape is unknown"); return; }
            int q = oa - (r - ri);
            int? size = q < 0 ? 1 : dims[q];
            var m = Map(name);
            if (size is null) { BlockAll("an input's channel count is unknown"); return; }
            if (size == 1 && channels != 1)
            {
                if (m is not null) Block(m, $"{Describe(n)} broadcasts its single channel");
                continue;
            }
            if (size != channels) { BlockAll("its inputs disagree on the channel count"); return; }
            if (m is not null)
            {
                if (result is null) result = m;
                else Join(result, m, $"{Describe(n)} joins these channels with channels no group removes");
            }
            else if (Init(name) is not null) constants.Add((name, q));
            else fixedInput ??= name;
        }
        if (result is null) return;
        foreach (var (name, q) in constants) Member(MemberRole.ChannelConstant, n, name, q, result.Units);
        if (fixedInput is not null) Block(result, $"{Describe(n)} combines the channels with '{fixedInput}', whose channels cannot shrink");
        var outMap = new ChannelMap(oa, result.Units);
        foreach (var o in n.Outputs) Set(o, outMap);
    }

    private void Softmax(Node n, HashSet<int> handled)
    {
        handled.Add(0);
        if (Map(n.Inputs[0]) is not { } m || Rank(n.Inputs[0]) is not { } r) return;
        long axis = Int(n, "axis", _opset >= 13 ? -1 : 1);
        if (axis < 0) axis += r;
        // Before opset 13 the op normalizes over all axes from `axis` on, flattened.
        bool independent = _opset >= 13 ? axis != m.Axis : m.Axis < axis;
        if (independent) Set(n.Outputs[0], m);
        else Block(m, $"{Describe(n)} normalizes across channels");
    }

    private void LayerNorm(Node n, HashSet<int> handled)
    {
        handled.Add(0);
        if (Map(n.Inputs[0]) is not { } m || Rank(n.Inputs[0]) is not { } r) return;
        long axis = Int(n, "axis", -1);
        if (axis < 0) axis += r;
        if (m.Axis >= axis) { Block(m, $"{Describe(n)} normalizes across channels"); return; }
        if (n.Outputs.Skip(1).Any(Used)) { Block(m, $"{Describe(n)} returns statistics that something reads"); return; }
        Set(n.Outputs[0], m);
    }

    private void Reduce(Node n, HashSet<int> handled)
    {
        handled.Add(0);
        handled.Add(1);
        if (Map(n.Inputs[0]) is not { } m || Rank(n.Inputs[0]) is not { } r) return;
        long[]? axes = n.Attributes.TryGetValue("axes", out var a) ? a.Ints
            : n.InputOrNull(1) is { } an ? _facts.Constant(an)?.ToInt64Array() : [];
        if (axes is null) { Block(m, $"{Describe(n)} reduces over axes that are not constant"); return; }
        if (axes.Length == 0)
        {
            if (Int(n, "noop_with_empty_axes", 0) != 0) Set(n.Outputs[0], m);
            else Block(m, $"{Describe(n)} reduces over all axes, channels included");
            return;
        }
        var normalized = axes.Select(x => x < 0 ? x + r : x).ToList();
        if (normalized.Contains(m.Axis)) { Block(m, $"{Describe(n)} reduces over the channel axis"); return; }
        bool keep = Int(n, "keepdims", 1) != 0;
        Set(n.Outputs[0], new ChannelMap(keep ? m.Axis : m.Axis - normalized.Count(x => x < m.Axis), m.Units));
    }

    private void Pad(Node n, HashSet<int> handled)
    {
        for (int i = 0; i < n.Inputs.Count; i++) handled.Add(i);
        if (Map(n.Inputs[0]) is not { } m || Rank(n.Inputs[0]) is not { } r) return;
        long[]? pads = n.Attributes.TryGetValue("pads", out var p) ? p.Ints
            : n.Attributes.TryGetValue("paddings", out var q) ? q.Ints
            : n.InputOrNull(1) is { } pn ? _facts.Constant(pn)?.ToInt64Array() : null;
        long[]? axes = n.InputOrNull(3) is { } an ? _facts.Constant(an)?.ToInt64Array() : Enumerable.Range(0, r).Select(i => (long)i).ToArray();
        if (pads is null || axes is null || pads.Length != 2 * axes.Length) { Block(m, $"{Describe(n)} has pads that are not constant"); return; }
        for (int i = 0; i < axes.Length; i++)
            if ((axes[i] < 0 ? axes[i] + r : axes[i]) == m.Axis && (pads[i] != 0 || pads[i + axes.Length] != 0))
            {
                Block(m, $"{Describe(n)} pads the channel axis");
                return;
            }
        Set(n.Outputs[0], m);
    }

    private void Resize(Node n, HashSet<int> handled)
    {
        for (int i = 0; i < n.Inputs.Count; i++) if (Vector(n.Inputs[i]) is null) handled.Add(i);
        if (Map(n.Inputs[0]) is not { } m) return;
        // Sizes (Resize input 3) computed from Shape of the input itself keep its channel count whatever it becomes.
        if (n.OpType == "Resize" && n.InputOrNull(3) is { } sizes)
        {
            if (Vector(sizes) is { } counts && m.Axis < counts.Length && counts[m.Axis].Channels is { } own && own.Units.AsSpan().SequenceEqual(m.Units)
                && counts.Where((e, k) => k != m.Axis && e.Channels is not null).Count() == 0)
            {
                handled.Add(3);
                Set(n.Outputs[0], m);
            }
            else Block(m, $"{Describe(n)} has sizes that fix the channel count");
            return;
        }
        // Scales: Upsample input 1 (attribute before opset 9), Resize input 1 (opset 10) or 2 (11+).
        int scalesInput = n.OpType == "Upsample" || _opset < 11 ? 1 : 2;
        float[]? scales = n.Attributes.TryGetValue("scales", out var s) ? s.Floats
            : n.InputOrNull(scalesInput) is { } sn && _facts.Constant(sn) is { } st && st.Length > 0 ? Enumerable.Range(0, st.Length).Select(i => (float)st.GetAsDouble(i)).ToArray() : null;
        if (scales is null || m.Axis >= scales.Length || scales[m.Axis] != 1)
        {
            Block(m, $"{Describe(n)} has scales that may change the channel count");
            return;
        }
        Set(n.Outputs[0], m);
    }
}
