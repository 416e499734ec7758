using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// ConvTranspose: the adjoint of Conv in x (each input pixel scatters w-weighted copies into the output) plus b, over
/// windows of any rank with groups, strides, dilations, pads, output_padding and output_shape.
/// </summary>
public sealed class ConvTransposeOp : Operator
{
    public override string OpType => "ConvTranspose";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var (g, nd) = Resolve(ctx);
        int rank = ctx.Shape(0).Length - 2;
        // g describes the equivalent convolution from y back to x: its input is this op's output.
        if (nd is not null) return [new TensorInfo(DataType.Float32, [nd.N, nd.C, .. nd.Input])];
        return [new TensorInfo(DataType.Float32, rank == 1 ? [g!.N, g.C, g.W] : [g!.N, g.C, g.H, g.W])];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        var (g, nd) = Resolve(ctx);
        return nd is not null ? new ConvTransposeNdKernel(nd) : new ConvTransposeKernel(new Convolution(g!, ctx.Training));
    }

    /// <summary>
    /// The geometry of the convolution whose data gradient this op computes: input = this op's output Y [N,K',out],
    /// output = X [N,C',in], weights W [C', K'/group, kernel] exactly as ConvTranspose stores them. Lowered for 1 or 2
    /// spatial axes, direct for 3 or more.
    /// </summary>
    private static (ConvGeometry? Geometry, WindowGeometryNd? Nd) Resolve(NodeContext ctx)
    {
        ctx.ExpectType(0, DataType.Float32);
        ctx.ExpectType(1, DataType.Float32);
        var x = ctx.Shape(0);
        var w = ctx.Shape(1);
        if (x.Length < 3) throw ctx.Error($"X must be [N,C,spatial...] with at least one spatial axis, got {ShapeMath.Format(x)}");
        if (w.Length != x.Length) throw ctx.Error($"W {ShapeMath.Format(w)} must have the rank of X {ShapeMath.Format(x)}");
        long group = ctx.Int("group", 1);
        int c = x[1];
        if (group < 1 || c % group != 0) throw ctx.Error($"group {group} must be positive and divide the input channels {c}");
        if (w[0] != c) throw ctx.Error($"W {ShapeMath.Format(w)} must have as many rows as X {ShapeMath.Format(x)} has channels ({c})");
        int k = checked(w[1] * (int)group);
        if (ctx.HasInput(2))
        {
            ctx.ExpectType(2, DataType.Float32);
            var b = ctx.Shape(2);
            if (b.Length != 1 || b[0] != k) throw ctx.Error($"B must be [{k}] (one bias per output channel), got {ShapeMath.Format(b)}");
        }
        int rank = x.Length - 2;
        var win = WindowAttributes.Read(ctx, rank, w[2..]);
        var input = x.AsSpan(2);
        var outputPadding = ctx.Ints("output_padding") ?? new long[rank];
        if (outputPadding.Length != rank) throw ctx.Error($"output_padding has {outputPadding.Length} values but X has {rank} spatial axes");
        var outputShape = ctx.Ints("output_shape");
        if (outputShape is not null)
        {
            if (outputShape.Length == rank + 2) outputShape = outputShape[2..];
            if (outputShape.Length != rank) throw ctx.Error($"output_shape has {outputShape.Length} values but X has {rank} spatial axes");
        }
        var output = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int s = win.Strides[i];
            if (outputPadding[i] < 0 || (outputPadding[i] >= s && outputPadding[i] >= win.Dilations[i]))
                throw ctx.Error($"output_padding [{string.Join(",", outputPadding)}] must be non-negative and below the stride or the dilation of each axis");
            long full = (long)s * (input[i] - 1) + outputPadding[i] + win.Extent(i);
            long target = outputShape is not null ? outputShape[i] : win.AutoPad is "SAME_UPPER" or "SAME_LOWER" ? (long)input[i] * s : -1;
            if (target >= 0)
            {
                // Pads that yield the requested size: the odd one goes to the end for SAME_UPPER, else to the start.
                long total = full - target;
                long half = (long)Math.Floor(total / 2.0);
                (win.PadsBegin[i], win.PadsEnd[i]) = win.AutoPad == "SAME_UPPER" ? ((int)half, (int)(total - half)) : ((int)(total - half), (int)half);
                output[i] = checked((int)target);
            }
            else
            {
                if (win.AutoPad == "VALID") win.PadsBegin[i] = win.PadsEnd[i] = 0;
                output[i] = checked((int)(full - win.PadsBegin[i] - win.PadsEnd[i]));
            }
            if (output[i] < 1) throw ctx.Error($"the output would be empty along spatial axis {i} (size {output[i]})");
        }
        if (x.Length > 4) return (null, win.GeometryNd(x[0], k, output, c, (int)group, input.ToArray()));
        return (win.Geometry(x[0], k, output, c, (int)group, input), null);
    }

    /// <summary>Three or more spatial axes: the adjoint of the direct convolution of <see cref="WindowNd"/>.</summary>
    private sealed class ConvTransposeNdKernel(WindowGeometryNd g) : Kernel
    {
        public override string Algorithm => "transpose-conv-nd-direct";

        public override void Forward(RunContext ctx)
        {
            var y = Outputs[0].Floats;
            if (Has(2))
            {
                var b = Inputs[2].Floats;
                for (int n = 0; n < g.N; n++)
                    for (int k = 0; k < g.C; k++) y.Slice((n * g.C + k) * g.InPlane, g.InPlane).Fill(b[k]);
            }
            else y.Clear();
            WindowNd.ConvBackwardData(g, Inputs[1].Floats, Inputs[0].Floats, y);
        }

        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is not { } dy) return;
            if (InputGrads[0] is { } dx) WindowNd.ConvForward(g, dy.Floats, Inputs[1].Floats, default, dx.Floats, accumulate: true);
            if (InputGrads[1] is { } dw) WindowNd.ConvBackwardWeights(g, dy.Floats, Inputs[0].Floats, dw.Floats, default);
            if (InputGrads.Length > 2 && InputGrads[2] is { } db)
            {
                var d = dy.Floats;
                for (int k = 0; k < g.C; k++)
                {
                    double s = 0;
                    for (int n = 0; n < g.N; n++) s += ChannelMath.Sum(d.Slice((n * g.C + k) * g.InPlane, g.InPlane));
                    db.Floats[k] += (float)s;
                }
            }
        }
    }

    private sealed class ConvTransposeKernel(Convolution conv) : Kernel
    {
        public override string Algorithm => "transpose-" + conv.Describe();

        public override void Forward(RunContext ctx)
        {
            var g = conv.Geometry;
            var y = Outputs[0];
            if (Has(2))
            {
                var b = Inputs[2].Floats;
                var ys = y.Floats;
                for (int n = 0; n < g.N; n++)
                    for (int k = 0; k < g.C; k++) ys.Slice((n * g.C + k) * g.InPlane, g.InPlane).Fill(b[k]);
            }
            else y.Clear();
            conv.Backward(default, Inputs[1].FloatMemory(), Inputs[0].FloatMemory(), y.FloatMemory(), default, default, false, ctx.Pool);
        }

        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is not { } dy) return;
            var g = conv.Geometry;
            var dyMem = dy.FloatMemory();
            bool lowered = false;
            if (InputGrads[0] is { } dx)
            {
                conv.Forward(dyMem, Inputs[1].FloatMemory(), default, dx.FloatMemory(), accumulate: true, ctx.Pool);
                lowered = true;
            }
            if (InputGrads[1] is { } dw)
                conv.Backward(dyMem, Inputs[1].FloatMemory(), Inputs[0].FloatMemory(), default, dw.FloatMemory(), default, lowered, ctx.Pool);
            if (InputGrads.Length > 2 && InputGrads[2] is { } db)
            {
                var d = dy.Floats;
                var dbs = db.Floats;
                for (int k = 0; k < g.C; k++)
                {
                    double s = 0;
                    for (int n = 0; n < g.N; n++) s += ChannelMath.Sum(d.Slice((n * g.C + k) * g.InPlane, g.InPlane));
                    dbs[k] += (float)s;
                }
            }
        }
    }
}
