using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Base of the variadic Max and Min: 1 to N inputs of one numeric type broadcast together. The
/// gradient goes to the input that supplied each output element; on ties, to the first such input.
/// </summary>
public abstract class ExtremumOp : Operator
{
    /// <inheritdoc/>
    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        if (ctx.InputCount < 1) throw ctx.Error("needs at least one input");
        var type = ctx.Input(0).Type;
        if (!BroadcastBinaryOp.IsNumeric(type)) throw ctx.Error($"input type {type} is not supported (use a numeric type)");
        var shape = ctx.Shape(0);
        for (int i = 1; i < ctx.InputCount; i++)
        {
            if (ctx.Input(i).Type != type) throw ctx.Error($"inputs must have one type: input 0 is {type}, input {i} is {ctx.Input(i).Type}");
            shape = BroadcastBinaryOp.BroadcastShape(ctx, shape, ctx.Shape(i));
        }
        return [new TensorInfo(type, shape)];
    }

    /// <summary>Layouts (output; output, input k) for folding input k into the running result, k &gt;= 1.</summary>
    internal static BroadcastLayout[] FoldLayouts(NodeContext ctx)
    {
        var output = ctx.OutputInfos[0].Shape;
        var layouts = new BroadcastLayout[ctx.InputCount];
        layouts[0] = BroadcastLayout.Create(output, ctx.Shape(0), ctx.InputCount > 1 ? ctx.Shape(1) : ctx.Shape(0));
        for (int k = 1; k < ctx.InputCount; k++) layouts[k] = BroadcastLayout.Create(output, output, ctx.Shape(k));
        return layouts;
    }
}

/// <summary>
/// Float kernel of Max/Min: y = Op(x0, x1), then y = Op(y, xk) for each further input, range by range.
/// Backward with two inputs: TFirst/TSecond give each input's share (ties to the first). With more, a scratch copy of
/// y is consumed input by input: input k gets dy where it equals the copy, and those places are then marked taken.
/// </summary>
internal abstract class ExtremumFloatKernel<TOp, TFirst, TSecond> : Kernel
    where TOp : struct, IBinaryOp where TFirst : struct, ITernaryOp where TSecond : struct, ITernaryOp
{
    private readonly BroadcastLayout[] _fold;
    private readonly BroadcastLayout[] _grad;
    private readonly BroadcastLayout[] _claim;
    private readonly ChunkedWork _forward, _backward;
    private readonly int _inputs;
    private float[]? _claimed;
    private int _target;

    protected ExtremumFloatKernel(NodeContext ctx)
    {
        _inputs = ctx.InputCount;
        _fold = ExtremumOp.FoldLayouts(ctx);
        var output = ctx.OutputInfos[0].Shape;
        _grad = new BroadcastLayout[_inputs];
        _claim = new BroadcastLayout[_inputs];
        for (int k = 0; k < _inputs; k++)
        {
            _grad[k] = _inputs == 2 ? BroadcastLayout.Create(output, ctx.Shape(k), ctx.Shape(0), ctx.Shape(1))
                : _inputs == 1 ? BroadcastLayout.Create(output, ctx.Shape(k))
                : BroadcastLayout.Create(output, ctx.Shape(k), ctx.Shape(k), output);
            _claim[k] = BroadcastLayout.Create(output, output, ctx.Shape(k));
        }
        _forward = new ChunkedWork(ForwardRange);
        _backward = new ChunkedWork((start, count) => PairGradient(_target, start, count));
    }

    /// <inheritdoc/>
    public override void Forward(RunContext ctx) => _forward.Run(ctx.Pool, Outputs[0].Length);

    private void ForwardRange(int start, int count)
    {
        var y = Outputs[0].Floats;
        if (_inputs == 1)
        {
            Inputs[0].Floats.Slice(start, count).CopyTo(y.Slice(start, count));
            return;
        }
        Broadcast.Map<TOp>(_fold[0], Inputs[0].Floats, Inputs[1].Floats, y, start, count);
        for (int k = 2; k < _inputs; k++) Broadcast.Map<TOp>(_fold[k], y, Inputs[k].Floats, y, start, count);
    }

    /// <inheritdoc/>
    public override void Backward(RunContext ctx)
    {
        if (OutputGrads[0] is not { } dy) return;
        if (_inputs == 1)
        {
            if (InputGrads[0] is { } dx) Elementwise.AddInPlace(dx.Floats, dy.Floats);
            return;
        }
        if (_inputs == 2)
        {
            for (int t = 0; t < 2; t++)
            {
                if (InputGrads[t] is null) continue;
                _target = t;
                _backward.Run(ctx.Pool, Outputs[0].Length, parallel: _grad[t].IsFull(0));
            }
            return;
        }
        // Three or more inputs: rare, so single-threaded, with a scratch buffer made on first use.
        var claimed = _claimed ??= new float[Outputs[0].Length];
        Outputs[0].Floats.CopyTo(claimed);
        for (int k = 0; k < _inputs; k++)
        {
            var x = Inputs[k].Floats;
            if (InputGrads[k] is { } dx) Broadcast.Accumulate<Elementwise.EqualGradOp>(_grad[k], x, claimed, dy.Floats, dx.Floats);
            if (k < _inputs - 1) Broadcast.Map<Elementwise.ClaimOp>(_claim[k], claimed, x, claimed);
        }
    }

    private void PairGradient(int t, int start, int count)
    {
        var a = Inputs[0].Floats;
        var b = Inputs[1].Floats;
        var dy = OutputGrads[0]!.Floats;
        if (t == 0) Broadcast.Accumulate<TFirst>(_grad[0], a, b, dy, InputGrads[0]!.Floats, start, count);
        else Broadcast.Accumulate<TSecond>(_grad[1], a, b, dy, InputGrads[1]!.Floats, start, count);
    }
}

/// <summary>Kernel of Max/Min for the numeric types other than float32 (forward only): the same fold with scalar loops.</summary>
internal sealed class ExtremumScalarKernel<TFamily> : ForwardOnlyKernel where TFamily : IScalarFamily
{
    private readonly BroadcastLayout[] _fold;

    public ExtremumScalarKernel(NodeContext ctx) => _fold = ExtremumOp.FoldLayouts(ctx);

    /// <inheritdoc/>
    public override void Forward(RunContext ctx)
    {
        switch (Outputs[0].Type)
        {
            case DataType.Int64: Fold<long>(); break;
            case DataType.Int32: Fold<int>(); break;
            case DataType.Float64: Fold<double>(); break;
            case DataType.Int8: Fold<sbyte>(); break;
            case DataType.UInt8: Fold<byte>(); break;
            case DataType.Int16: Fold<short>(); break;
            case DataType.UInt16: Fold<ushort>(); break;
            default: throw new NotSupportedException($"element type {Outputs[0].Type}");
        }
    }

    private void Fold<T>() where T : unmanaged, System.Numerics.INumber<T>
    {
        var y = Outputs[0].Span<T>();
        if (_fold.Length == 1)
        {
            Inputs[0].Span<T>().CopyTo(y);
            return;
        }
        Broadcast.MapScalar<T, ScalarFamilies.Of<T, TFamily>>(_fold[0], Inputs[0].Span<T>(), Inputs[1].Span<T>(), y);
        for (int k = 2; k < _fold.Length; k++) Broadcast.MapScalar<T, ScalarFamilies.Of<T, TFamily>>(_fold[k], y, Inputs[k].Span<T>(), y);
    }
}
