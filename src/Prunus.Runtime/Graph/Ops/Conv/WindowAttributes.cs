using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>
/// The sliding-window attributes shared by Conv, ConvTranspose and the pools (kernel_shape, strides, dilations, pads,
/// auto_pad), read and checked for any number of spatial axes, and their mapping to a <see cref="ConvGeometry"/> (1 or 2
/// spatial axes; 1-D as H = 1) or a <see cref="WindowGeometryNd"/> (the direct path for 3 or more).
/// </summary>
internal sealed class WindowAttributes
{
    public required int[] Kernel { get; init; }
    public required int[] Strides { get; init; }
    public required int[] Dilations { get; init; }
    /// <summary>Pads at the start of each spatial axis (resolved from auto_pad once input sizes are known).</summary>
    public required int[] PadsBegin { get; init; }
    /// <summary>Pads at the end of each spatial axis.</summary>
    public required int[] PadsEnd { get; init; }
    /// <summary>NOTSET, SAME_UPPER, SAME_LOWER or VALID.</summary>
    public required string AutoPad { get; init; }

    public int Rank => Kernel.Length;

    /// <summary>
    /// Reads the attributes for <paramref name="rank"/> spatial axes. <paramref name="kernelFromWeights"/> is the
    /// spatial shape of W for convolutions (kernel_shape then optional and checked against it), null for pools.
    /// </summary>
    public static WindowAttributes Read(NodeContext ctx, int rank, int[]? kernelFromWeights)
    {
        if (rank < 1)
            throw ctx.Error($"the input needs at least one spatial axis after N and C, got shape {Tensors.ShapeMath.Format(ctx.Shape(0))}");
        int[] kernel;
        var ks = ctx.Ints("kernel_shape");
        if (ks is null)
            kernel = kernelFromWeights ?? throw ctx.Error("attribute kernel_shape is required");
        else
        {
            kernel = Positive(ctx, "kernel_shape", ks, rank);
            if (kernelFromWeights is not null && !kernel.AsSpan().SequenceEqual(kernelFromWeights))
                throw ctx.Error($"kernel_shape [{string.Join(",", kernel)}] does not match the weights' spatial shape [{string.Join(",", kernelFromWeights)}]");
        }
        var strides = ctx.Ints("strides") is { } s ? Positive(ctx, "strides", s, rank) : Ones(rank);
        var dilations = ctx.Ints("dilations") is { } d ? Positive(ctx, "dilations", d, rank) : Ones(rank);
        var autoPad = ctx.String("auto_pad", "NOTSET");
        if (autoPad.Length == 0) autoPad = "NOTSET";
        if (autoPad is not ("NOTSET" or "SAME_UPPER" or "SAME_LOWER" or "VALID"))
            throw ctx.Error($"auto_pad '{autoPad}' is not one of NOTSET, SAME_UPPER, SAME_LOWER, VALID");
        var begin = new int[rank];
        var end = new int[rank];
        if (ctx.Ints("pads") is { } pads)
        {
            if (pads.Length != 2 * rank)
                throw ctx.Error($"pads has {pads.Length} values but {2 * rank} are needed (begin and end for each of {rank} spatial axes)");
            if (autoPad != "NOTSET" && pads.Any(p => p != 0))
                throw ctx.Error($"pads cannot be given together with auto_pad {autoPad}");
            for (int i = 0; i < rank; i++)
            {
                if (pads[i] < 0 || pads[i + rank] < 0) throw ctx.Error($"pads must be non-negative, got [{string.Join(",", pads)}]");
                begin[i] = checked((int)pads[i]);
                end[i] = checked((int)pads[i + rank]);
            }
        }
        return new WindowAttributes { Kernel = kernel, Strides = strides, Dilations = dilations, PadsBegin = begin, PadsEnd = end, AutoPad = autoPad };
    }

    private static int[] Ones(int rank) => Enumerable.Repeat(1, rank).ToArray();

    private static int[] Positive(NodeContext ctx, string name, long[] v, int rank)
    {
        if (v.Length != rank) throw ctx.Error($"{name} has {v.Length} values but the input has {rank} spatial axes");
        if (v.Any(x => x < 1 || x > int.MaxValue)) throw ctx.Error($"{name} must be positive, got [{string.Join(",", v)}]");
        return v.Select(x => (int)x).ToArray();
    }

    /// <summary>Effective kernel extent along axis i: (k-1)*d + 1.</summary>
    public int Extent(int i) => (Kernel[i] - 1) * Dilations[i] + 1;

    /// <summary>
    /// Output sizes of a convolution or pool over <paramref name="input"/> spatial sizes, resolving auto_pad into
    /// <see cref="PadsBegin"/>/<see cref="PadsEnd"/>. In ceil mode the last window must start inside the input or
    /// its begin padding (PyTorch's rule, which ONNX Runtime and the ONNX reference follow).
    /// </summary>
    public int[] ResolveOutput(NodeContext ctx, ReadOnlySpan<int> input, bool ceilMode = false)
    {
        var output = new int[Rank];
        for (int i = 0; i < Rank; i++)
        {
            int s = Strides[i], ext = Extent(i);
            switch (AutoPad)
            {
                case "VALID":
                    PadsBegin[i] = PadsEnd[i] = 0;
                    output[i] = ConvGeometry.OutputSize(input[i], Kernel[i], s, Dilations[i], 0, 0);
                    break;
                case "SAME_UPPER":
                case "SAME_LOWER":
                {
                    output[i] = (input[i] + s - 1) / s;
                    int total = Math.Max(0, (output[i] - 1) * s + ext - input[i]);
                    int small = total / 2, large = total - small;
                    (PadsBegin[i], PadsEnd[i]) = AutoPad == "SAME_UPPER" ? (small, large) : (large, small);
                    break;
                }
                default:
                {
                    int o = ConvGeometry.OutputSize(input[i], Kernel[i], s, Dilations[i], PadsBegin[i], PadsEnd[i], ceilMode);
                    if (ceilMode && o > 0 && (long)(o - 1) * s >= input[i] + PadsBegin[i]) o--;
                    output[i] = o;
                    break;
                }
            }
            if (output[i] < 1)
                throw ctx.Error($"the window (kernel {Kernel[i]}, dilation {Dilations[i]}) does not fit spatial axis {i} of size {input[i]} with pads {PadsBegin[i]},{PadsEnd[i]}");
        }
        return output;
    }

    /// <summary>The geometry of the direct N-D path for [N,C,input...] in, [N,K,output...] out (used from 3 spatial axes).</summary>
    public WindowGeometryNd GeometryNd(int n, int c, int[] input, int k, int groups, int[] output) =>
        new(n, c, k, groups, input, output, Kernel, Strides, Dilations, PadsBegin, PadsEnd);

    /// <summary>A geometry for [N,C,spatial...] in, [N,K,output...] out; 1-D maps to H = KH = OH = 1.</summary>
    public ConvGeometry Geometry(int n, int c, ReadOnlySpan<int> input, int k, int groups, ReadOnlySpan<int> output)
    {
        if (Rank == 1)
            return new ConvGeometry
            {
                N = n, C = c, H = 1, W = input[0], K = k, Groups = groups, KH = 1, KW = Kernel[0],
                StrideW = Strides[0], DilationW = Dilations[0], PadLeft = PadsBegin[0], PadRight = PadsEnd[0], OH = 1, OW = output[0],
            };
        return new ConvGeometry
        {
            N = n, C = c, H = input[0], W = input[1], K = k, Groups = groups, KH = Kernel[0], KW = Kernel[1],
            StrideH = Strides[0], StrideW = Strides[1], DilationH = Dilations[0], DilationW = Dilations[1],
            PadTop = PadsBegin[0], PadLeft = PadsBegin[1], PadBottom = PadsEnd[0], PadRight = PadsEnd[1],
            OH = output[0], OW = output[1],
        };
    }
}

/// <summary>Shape logic shared by MaxPool and AveragePool: X [N,C,spatial...] to the pooled geometry (C = K).</summary>
internal static class PoolShapes
{
    /// <summary>
    /// Reads the window attributes (kernel_shape required) and resolves the output, honouring ceil_mode. X must be
    /// float32, or also int8/uint8 when <paramref name="allowBytes"/> (MaxPool from opset 12).
    /// </summary>
    public static ConvGeometry Resolve(NodeContext ctx, bool allowBytes = false)
    {
        var (win, x, output) = Read(ctx, allowBytes);
        if (x.Length > 4) throw ctx.Error("a pool over 3 or more spatial axes takes the direct path (ResolveNd)");
        return win.Geometry(x[0], x[1], x.AsSpan(2), x[1], x[1], output);
    }

    /// <summary>As <see cref="Resolve"/>, for 3 or more spatial axes: the geometry of the direct path.</summary>
    public static WindowGeometryNd ResolveNd(NodeContext ctx, bool allowBytes = false)
    {
        var (win, x, output) = Read(ctx, allowBytes);
        return win.GeometryNd(x[0], x[1], x[2..], x[1], x[1], output);
    }

    /// <summary>Whether X has 3 or more spatial axes (the direct N-D path).</summary>
    public static bool IsNd(NodeContext ctx) => ctx.Shape(0).Length > 4;

    private static (WindowAttributes Window, int[] X, int[] Output) Read(NodeContext ctx, bool allowBytes)
    {
        var type = ctx.Input(0).Type;
        if (!(type == Tensors.DataType.Float32 || allowBytes && type is Tensors.DataType.Int8 or Tensors.DataType.UInt8))
            throw ctx.Error($"input 0 must be Float32{(allowBytes ? ", Int8 or UInt8" : "")}, got {type}");
        var x = ctx.Shape(0);
        if (x.Length < 3) throw ctx.Error($"X must be [N,C,spatial...] with at least one spatial axis, got {Tensors.ShapeMath.Format(x)}");
        if (!ctx.HasAttribute("kernel_shape")) throw ctx.Error("attribute kernel_shape is required");
        var win = WindowAttributes.Read(ctx, x.Length - 2, null);
        bool ceil = ctx.Int("ceil_mode", 0) != 0;
        return (win, x, win.ResolveOutput(ctx, x.AsSpan(2), ceil));
    }

    /// <summary>[N,C,OW] or [N,C,OH,OW].</summary>
    public static int[] OutputShape(ConvGeometry g, int rank) => rank == 3 ? [g.N, g.C, g.OW] : [g.N, g.C, g.OH, g.OW];

    /// <summary>[N,C,output...] of the direct path.</summary>
    public static int[] OutputShape(WindowGeometryNd g) => [g.N, g.C, .. g.Output];
}
