using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Conv: y[n,k] = Σ_c w[k,c] ⋆ x[n,c] + b[k] over windows of any rank with groups, strides, dilations and pads.</summary>
public sealed class ConvOp : Operator
{
    public override string OpType => "Conv";
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var (g, nd) = Resolve(ctx);
        return [new TensorInfo(DataType.Float32, nd is not null ? [nd.N, nd.K, .. nd.Output] : OutputShape(g!, ctx.Shape(0).Length - 2))];
    }

    public override Kernel CreateKernel(NodeContext ctx) => CreateKernel(ctx, FusedActivation.None, residual: false);

    /// <summary>
    /// The Conv kernel for fused inference ops: y = act(conv(x, w) + b + z), with z input 3 when
    /// <paramref name="residual"/>.
    /// </summary>
    internal static Kernel CreateKernel(NodeContext ctx, FusedActivation activation, bool residual)
    {
        var (g, nd) = Resolve(ctx);
        if (nd is not null) return new ConvNdKernel(nd, activation, residual);
        // A mostly-zero constant weight runs sparse when that beats the dense kernel at these shapes.
        var sparse = ctx.ConstantWeights && ctx.Constant(1) is { } w ? SparseSelection.ForConvolution(g!, w.Floats, activation) : null;
        return new ConvKernel(new Convolution(g!, ctx.Training) { Activation = activation }, residual) { Sparse = sparse };
    }

    internal static int[] OutputShape(ConvGeometry g, int spatialRank) =>
        spatialRank == 1 ? [g.N, g.K, g.OW] : [g.N, g.K, g.OH, g.OW];

    /// <summary>
    /// Checks X [N,C,spatial], W [K,C/group,kernel], B [K] and the attributes; returns the geometry of the lowered path
    /// (1 or 2 spatial axes) or of the direct path (3 or more).
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
        int c = x[1], k = w[0];
        if (group < 1 || c % group != 0 || k % group != 0)
            throw ctx.Error($"group {group} must be positive and divide the input channels {c} and the output channels {k}");
        if (w[1] * group != c)
            throw ctx.Error($"W {ShapeMath.Format(w)} expects {w[1]}x{group} = {w[1] * group} input channels (group {group}) but X {ShapeMath.Format(x)} has {c}");
        if (ctx.HasInput(2))
        {
            ctx.ExpectType(2, DataType.Float32);
            var b = ctx.Shape(2);
            if (b.Length != 1 || b[0] != k) throw ctx.Error($"B must be [{k}] (one bias per output channel), got {ShapeMath.Format(b)}");
        }
        var win = WindowAttributes.Read(ctx, x.Length - 2, w[2..]);
        var spatial = x.AsSpan(2);
        var output = win.ResolveOutput(ctx, spatial);
        if (x.Length > 4) return (null, win.GeometryNd(x[0], c, spatial.ToArray(), k, (int)group, output));
        return (win.Geometry(x[0], c, spatial, k, (int)group, output), null);
    }

    /// <summary>Three or more spatial axes: the direct loops of <see cref="WindowNd"/>.</summary>
    // Fused ops (activation, residual input 3) reject training plans, so a fused kernel never runs Backward.
    private sealed class ConvNdKernel(WindowGeometryNd g, FusedActivation activation, bool residual) : Kernel
    {
        public override string Algorithm => "conv-nd-direct";

        public override void Forward(RunContext ctx)
        {
            var y = Outputs[0].Floats;
            WindowNd.ConvForward(g, Inputs[0].Floats, Inputs[1].Floats, Has(2) ? Inputs[2].Floats : default, y);
            if (residual) Elementwise.AddInPlace(y, Inputs[3].Floats);
            activation.Apply(y);
        }

        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is not { } dy) return;
            if (InputGrads[0] is { } dx) WindowNd.ConvBackwardData(g, Inputs[1].Floats, dy.Floats, dx.Floats);
            var dw = InputGrads[1] is { } w ? w.Floats : default;
            var db = InputGrads.Length > 2 && InputGrads[2] is { } b ? b.Floats : default;
            if (!dw.IsEmpty || !db.IsEmpty) WindowNd.ConvBackwardWeights(g, Inputs[0].Floats, dy.Floats, dw, db);
        }
    }

    private sealed class ConvKernel(Convolution conv, bool residual) : Kernel
    {
        private bool _forwardRan;

        /// <summary>The sparse kernel that runs the forward pass instead of <c>conv</c> (backward stays dense), or null.</summary>
        public SparseConvolution? Sparse { get; init; }

        public override string Algorithm => Sparse?.Describe() ?? conv.Describe();

        public override void Forward(RunContext ctx)
        {
            if (Sparse is not null)
            {
                Sparse.Forward(Inputs[0].Floats, Has(2) ? Inputs[2].Floats : default, residual ? Inputs[3].Floats : default, Outputs[0].Floats, ctx.Pool);
                _forwardRan = true;
                return;
            }
            var b = Has(2) ? Inputs[2].FloatMemory() : default;
            if (residual) conv.Forward(Inputs[0].FloatMemory(), Inputs[1].FloatMemory(), b, Inputs[3].FloatMemory(), Outputs[0].FloatMemory(), ctx.Pool);
            else conv.Forward(Inputs[0].FloatMemory(), Inputs[1].FloatMemory(), b, Outputs[0].FloatMemory(), accumulate: false, ctx.Pool);
            _forwardRan = true;
        }

        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is not { } dy) return;
            var db = InputGrads.Length > 2 ? InputGrads[2].FloatMemoryOrEmpty() : default;
            // Training plans never reuse buffers, so x is still the tensor the forward lowered.
            conv.Backward(Inputs[0].FloatMemory(), Inputs[1].FloatMemory(), dy.FloatMemory(),
                InputGrads[0].FloatMemoryOrEmpty(), InputGrads[1].FloatMemoryOrEmpty(), db, _forwardRan, ctx.Pool);
            _forwardRan = false;
        }
    }
}
