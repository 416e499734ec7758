using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Base of binary ops with NumPy multidirectional broadcasting (Add, Sub, Mul, Div, Pow): shape inference, and the
/// choice between the float kernel (with gradients) and the integer kernel (shape arithmetic, forward only).
/// </summary>
public abstract class BroadcastBinaryOp : Operator
{
    /// <summary>Whether int32 and int64 inputs are accepted (shape computations in exported models).</summary>
    protected virtual bool AcceptsIntegers => true;

    /// <inheritdoc/>
    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var a = ctx.Input(0);
        var b = ctx.Input(1);
        CheckTypes(ctx, a.Type, b.Type);
        return [new TensorInfo(a.Type, BroadcastShape(ctx, a.Shape, b.Shape))];
    }

    /// <summary>Throws unless the input types suit the op (by default: equal, and float or, if accepted, int32/int64).</summary>
    protected virtual void CheckTypes(NodeContext ctx, DataType a, DataType b)
    {
        if (a != b) throw ctx.Error($"inputs must have one type, got {a} and {b}");
        bool ok = a == DataType.Float32 || AcceptsIntegers && a is DataType.Int32 or DataType.Int64;
        if (!ok) throw ctx.Error($"input type {a} is not supported (use {(AcceptsIntegers ? "Float32, Int32 or Int64" : "Float32")})");
    }

    /// <summary>The NumPy broadcast of two shapes, or a node error naming both.</summary>
    internal static int[] BroadcastShape(NodeContext ctx, int[] a, int[] b)
    {
        try { return ShapeMath.Broadcast(a, b); }
        catch (ArgumentException e) { throw ctx.Error(e.Message); }
    }
}

/// <summary>
/// Base of float broadcast kernels of two inputs: holds the forward layout (output; a, b), runs forward ranges on the
/// pool, and runs each wanted input gradient (parallel only when that input is not broadcast, so that ranges add into
/// disjoint elements). Subclasses give <see cref="ForwardRange"/> and <see cref="BackwardRange"/>.
/// </summary>
internal abstract class BroadcastFloatKernel : Kernel
{
    /// <summary>Operand codes for <see cref="GradLayout"/>.</summary>
    protected const int OperandA = 0, OperandB = 1, OperandOutput = 2;

    private readonly ChunkedWork _forward;
    private readonly ChunkedWork _backward;
    private readonly int[][] _shapes;
    private int _target;

    /// <summary>Layout of (a, b) into the output.</summary>
    protected BroadcastLayout Layout { get; }

    protected BroadcastFloatKernel(NodeContext ctx)
    {
        _shapes = [ctx.Shape(0), ctx.Shape(1), ctx.OutputInfos[0].Shape];
        Layout = BroadcastLayout.Create(_shapes[2], _shapes[0], _shapes[1]);
        _forward = new ChunkedWork(ForwardRange);
        _backward = new ChunkedWork((start, count) => BackwardRange(_target, start, count));
    }

    /// <summary>Computes output elements [start, start + count).</summary>
    protected abstract void ForwardRange(int start, int count);

    /// <summary>Adds the gradient of input <paramref name="input"/> from output elements [start, start + count).</summary>
    protected abstract void BackwardRange(int input, int start, int count);

    /// <summary>Called before a forward or backward pass (e.g. to convert an integer exponent).</summary>
    protected virtual void Prepare() { }

    protected ReadOnlySpan<float> A => Inputs[0].Floats;
    protected ReadOnlySpan<float> B => Inputs[1].Floats;
    protected Span<float> Y => Outputs[0].Floats;
    protected ReadOnlySpan<float> DY => OutputGrads[0]!.Floats;
    protected Span<float> Grad(int input) => InputGrads[input]!.Floats;

    /// <summary>The layout of a gradient rule: its target and two sources, each an operand code.</summary>
    protected BroadcastLayout GradLayout(int target, int source1, int source2) =>
        BroadcastLayout.Create(_shapes[2], _shapes[target], _shapes[source1], _shapes[source2]);

    /// <summary>The layout that reduce-sums an output-shaped gradient onto operand <paramref name="target"/>.</summary>
    protected BroadcastLayout ReduceLayout(int target) => BroadcastLayout.Create(_shapes[2], _shapes[target]);

    /// <inheritdoc/>
    public override void Forward(RunContext ctx)
    {
        Prepare();
        _forward.Run(ctx.Pool, Layout.Length);
    }

    /// <inheritdoc/>
    public override void Backward(RunContext ctx)
    {
        if (OutputGrads[0] is null) return;
        Prepare();
        for (int t = 0; t < 2; t++)
        {
            if (InputGrads[t] is null) continue;
            _target = t;
            _backward.Run(ctx.Pool, Layout.Length, parallel: Layout.IsFull(t));
        }
    }
}

/// <summary>Forward-only broadcast kernel for int64 and int32 tensors (shape arithmetic); scalar loops.</summary>
internal sealed class BroadcastIntegerKernel<TLong, TInt> : ForwardOnlyKernel
    where TLong : struct, IScalarBinaryOp<long> where TInt : struct, IScalarBinaryOp<int>
{
    private readonly BroadcastLayout _layout;

    public BroadcastIntegerKernel(NodeContext ctx) =>
        _layout = BroadcastLayout.Create(ctx.OutputInfos[0].Shape, ctx.Shape(0), ctx.Shape(1));

    /// <inheritdoc/>
    public override void Forward(RunContext ctx)
    {
        if (Outputs[0].Type == DataType.Int64)
            Broadcast.MapScalar<long, TLong>(_layout, Inputs[0].Span<long>(), Inputs[1].Span<long>(), Outputs[0].Span<long>());
        else
            Broadcast.MapScalar<int, TInt>(_layout, Inputs[0].Span<int>(), Inputs[1].Span<int>(), Outputs[0].Span<int>());
    }
}
