using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// MaxPool: y = max over each window of x (pads never win); optional Indices of the maxima as int64. Float32 with a
/// gradient; int8 and uint8 (opset 12, 1-D and 2-D windows) forward only.
/// </summary>
public sealed class MaxPoolOp : Operator
{
    public override string OpType => "MaxPool";
    // storage_order and Indices (8), ceil_mode and dilations (10), int8/uint8 (12).
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        long order = ctx.Int("storage_order", 0);
        if (order is not (0 or 1)) throw ctx.Error($"storage_order must be 0 (row major) or 1 (column major), got {order}");
        int[] shape;
        if (PoolShapes.IsNd(ctx))
        {
            if (order == 1) throw ctx.Error("storage_order 1 (column-major indices) is supported for 1-D and 2-D windows only");
            shape = PoolShapes.OutputShape(PoolShapes.ResolveNd(ctx));
        }
        else shape = PoolShapes.OutputShape(PoolShapes.Resolve(ctx, allowBytes: true), ctx.Shape(0).Length);
        return [new TensorInfo(ctx.Input(0).Type, shape), new TensorInfo(DataType.Int64, shape)];
    }

    public override Kernel CreateKernel(NodeContext ctx)
    {
        if (PoolShapes.IsNd(ctx)) return new MaxPoolNdKernel(PoolShapes.ResolveNd(ctx));
        var pooling = new Pooling(PoolShapes.Resolve(ctx, allowBytes: true), PoolKind.Max, false);
        bool columnMajor = ctx.Int("storage_order", 0) == 1;
        if (ctx.Input(0).Type == DataType.Float32) return new MaxPoolKernel(pooling, columnMajor);
        // Without Indices, bytes pool as bytes; Indices take the float reference path.
        bool indices = ctx.Node.Outputs.Count > 1 && ctx.Node.Outputs[1].Length > 0;
        if (!indices) return new QuantizedMaxPoolKernel(new QuantizedPooling(pooling.Geometry, ctx.Input(0).Type == DataType.Int8));
        return new ByteMaxPoolKernel(pooling, columnMajor, ctx.Input(0).Length, ctx.OutputInfos[0].Length);
    }

    /// <summary>Three or more spatial axes: the direct loops of <see cref="WindowNd"/>.</summary>
    private sealed class MaxPoolNdKernel(WindowGeometryNd g) : Kernel
    {
        public override string Algorithm => "maxpool-nd-direct";

        public override void Forward(RunContext ctx) =>
            WindowNd.MaxForward(g, Inputs[0].Floats, Outputs[0].Floats, Outputs.Length > 1 && Outputs[1] is { } i ? i.Span<long>() : default);

        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is { } dx && OutputGrads[0] is { } dy) WindowNd.MaxBackward(g, Inputs[0].Floats, dy.Floats, dx.Floats);
        }
    }

    /// <summary>Int8 and uint8 without Indices: pooled on the stored integers (<see cref="QuantizedPooling"/>).</summary>
    private sealed class QuantizedMaxPoolKernel(QuantizedPooling pooling) : ForwardOnlyKernel
    {
        public override string Algorithm => pooling.Describe();

        public override void Forward(RunContext ctx) =>
            pooling.Forward(Inputs[0].Bytes(), Outputs[0].Bytes(), ctx.Pool);
    }

    /// <summary>Int8 and uint8 with Indices: pooled as floats (which hold every byte value exactly) in scratch buffers.</summary>
    private sealed class ByteMaxPoolKernel(Pooling pooling, bool columnMajor, int inputLength, int outputLength) : ForwardOnlyKernel
    {
        private readonly float[] _x = new float[inputLength], _y = new float[outputLength];

        public override string Algorithm => "maxpool-bytes-as-float";

        public override void Forward(RunContext ctx)
        {
            var x = Inputs[0];
            for (int i = 0; i < _x.Length; i++) _x[i] = (float)x.GetAsDouble(i);
            if (Outputs.Length > 1 && Outputs[1] is { } indices)
                PoolingReference.Max(pooling.Geometry, _x, _y, indices.Span<long>(), columnMajor);
            else
                pooling.Forward(_x, _y, ctx.Pool);
            var y = Outputs[0];
            if (y.Type == DataType.UInt8) for (int i = 0; i < _y.Length; i++) y.Span<byte>()[i] = (byte)_y[i];
            else for (int i = 0; i < _y.Length; i++) y.Span<sbyte>()[i] = (sbyte)_y[i];
        }
    }

    private sealed class MaxPoolKernel(Pooling pooling, bool columnMajor) : Kernel
    {
        public override string Algorithm => pooling.Describe();

        public override void Forward(RunContext ctx)
        {
            // Indices are rare (unpooling, export round trips): the scalar reference tracks them.
            if (Outputs.Length > 1 && Outputs[1] is { } indices)
                PoolingReference.Max(pooling.Geometry, Inputs[0].Floats, Outputs[0].Floats, indices.Span<long>(), columnMajor);
            else
                pooling.Forward(Inputs[0].FloatMemory(), Outputs[0].FloatMemory(), ctx.Pool);
        }

        // dx += dy at each window's first maximal element, found again from x and y.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            pooling.Backward(Inputs[0].FloatMemory(), Outputs[0].FloatMemory(), dy.FloatMemory(), dx.FloatMemory(), ctx.Pool);
        }
    }
}
