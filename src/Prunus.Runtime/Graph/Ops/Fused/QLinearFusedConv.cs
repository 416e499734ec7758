using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// QLinearFusedConv (ai.prunus): y = act(Conv(x, w) + B) on 8-bit x [N,C,(H,)W] and constant 8-bit w [K,C/group,(KH,)KW]
/// in integers, with the inputs of QLinearConv and its output stage fused (see <see cref="QLinearFused"/>): uint8/int8,
/// floats, floats on y's grid, or int32 sums. Made by the quantization lowering from QDQ Conv patterns, QLinearConv and
/// ConvInteger; inference only. With <c>pooling = "max2x2"</c> (<see cref="PrunusDomain.PoolingAttribute"/>, set by
/// <see cref="Passes.QuantizedPoolFusionPass"/>) y is the 2x2/stride-2 max pool of that output.
/// </summary>
public sealed class QLinearFusedConvOp : Operator
{
    public override string OpType => "QLinearFusedConv";
    public override string Domain => PrunusDomain.Name;
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var g = Geometry(ctx, out int rank);
        var type = QLinearFused.Check(ctx, g.K);
        var shape = ConvOp.OutputShape(g, rank - 2);
        if (Pooled(ctx))
        {
            if (rank != 4 || g.OH % 2 != 0 || g.OW % 2 != 0)
                throw ctx.Error($"pooling max2x2 needs a 2-D convolution output of even height and width, got {ShapeMath.Format(shape)}");
            if (type is not (DataType.UInt8 or DataType.Int8)) throw ctx.Error($"pooling max2x2 needs a uint8 or int8 output, got {type}");
            shape[2] /= 2;
            shape[3] /= 2;
        }
        return [new TensorInfo(type, shape)];
    }

    /// <summary>Whether the node pools its output (2x2, stride 2, max); any other pooling value is an error.</summary>
    private static bool Pooled(NodeContext ctx)
    {
        if (!ctx.HasAttribute(PrunusDomain.PoolingAttribute)) return false;
        string v = ctx.String(PrunusDomain.PoolingAttribute, "");
        if (v != PrunusDomain.MaxPool2x2) throw ctx.Error($"pooling \"{v}\" is not supported; the only value is \"{PrunusDomain.MaxPool2x2}\"");
        return true;
    }

    /// <summary>X [N,C,spatial] with 1 or 2 spatial axes, W [K,C/group,kernel]: the geometry.</summary>
    private static ConvGeometry Geometry(NodeContext ctx, out int rank)
    {
        var x = ctx.Shape(QLinearFused.X);
        var w = ctx.Shape(QLinearFused.W);
        rank = x.Length;
        if (x.Length is not (3 or 4)) throw ctx.Error($"x must be [N,C,W] or [N,C,H,W], got {ShapeMath.Format(x)}");
        if (w.Length != x.Length) throw ctx.Error($"w {ShapeMath.Format(w)} must have the rank of x {ShapeMath.Format(x)}");
        long group = ctx.Int("group", 1);
        int c = x[1], k = w[0];
        if (group < 1 || c % group != 0 || k % group != 0 || w[1] * group != c)
            throw ctx.Error($"group {group} must divide the input channels {c} and the output channels {k}, and w {ShapeMath.Format(w)} must have {c}/{group} input channels");
        var win = WindowAttributes.Read(ctx, x.Length - 2, w[2..]);
        var output = win.ResolveOutput(ctx, x.AsSpan(2));
        return win.Geometry(x[0], c, x.AsSpan(2), k, (int)group, output);
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var g = Geometry(ctx, out _);
        var s = QLinearFused.Read(ctx, g.K);
        var conv = new QuantizedConvolution(g, s.Weights, s.WeightsSigned, s.WeightZero, s.InputSigned, s.InputZero, s.Output);
        if (Pooled(ctx)) conv.PoolMax2x2();
        return new QConvKernel(conv, s.InputZeroAtRunTime, QLinearFused.InputQuantizer(ctx, s, ctx.Input(QLinearFused.X).Length));
    }

    private sealed class QConvKernel(QuantizedConvolution conv, bool runtimeZero, (QuantizeBytes, byte[])? quantize) : ForwardOnlyKernel
    {
        public override string Algorithm => (quantize is null ? "" : "quantize+") + conv.Describe();

        public override void Forward(RunContext ctx)
        {
            if (runtimeZero) conv.SetInputZero(QLinearFused.RuntimeZero(this));
            conv.Forward(QLinearFused.InputBytes(this, quantize, ctx), Outputs[0].Bytes(), ctx.Pool);
        }
    }
}
