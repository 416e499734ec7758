using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Base of binary ops with NumPy multidirectional broadcasting (Add, Sub, Mul, Div, Pow): shape inference, and the
/// choice between the float kernel (with gradients) and the scalar kernel of the other numeric types (forward only).
/// Before opset 7 these ops broadcast only with broadcast=1, B then aligned with A from attribute <c>axis</c> (or from
/// the end, as NumPy does).
/// </summary>
public abstract class BroadcastBinaryOp : Operator
{
    /// <summary>Whether int32 and int64 inputs are accepted (shape computations in exported models).</summary>
    protected virtual bool AcceptsIntegers => true;

    /// <summary>Whether float64, int8 and uint8 are accepted too (ops whose kernel is <see cref="BroadcastScalarKernel{TFamily}"/>).</summary>
    protected virtual bool AcceptsOtherNumericTypes => false;

    /// <inheritdoc/>
    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var a = ctx.Input(0);
        var b = ctx.Input(1);
        CheckTypes(ctx, a.Type, b.Type);
        var (sa, sb) = OperandShapes(ctx);
        return [new TensorInfo(a.Type, BroadcastShape(ctx, sa, sb))];
    }

    /// <summary>Throws unless the input types suit the op (by default: equal, and float32 or an accepted other type).</summary>
    protected virtual void CheckTypes(NodeContext ctx, DataType a, DataType b)
    {
        if (a != b) throw ctx.Error($"inputs must have one type, got {a} and {b}");
        bool ok = a == DataType.Float32 || AcceptsIntegers && a is DataType.Int32 or DataType.Int64 || AcceptsOtherNumericTypes && IsNumeric(a);
        if (!ok)
            throw ctx.Error($"input type {a} is not supported (use {(AcceptsOtherNumericTypes ? "a numeric type" : AcceptsIntegers ? "Float32, Int32 or Int64" : "Float32")})");
    }

    /// <summary>Types with arithmetic: the float and integer types Prunus stores (not bool).</summary>
    internal static bool IsNumeric(DataType t) =>
        t is DataType.Float32 or DataType.Float64 or DataType.Int64 or DataType.Int32 or DataType.Int16 or DataType.UInt16
            or DataType.Int8 or DataType.UInt8;

    /// <summary>
    /// The shapes the kernels broadcast: the inputs' shapes, except that before opset 7 a B given with
    /// broadcast=1 and <c>axis</c> is padded with ones so that its dimensions start at that axis of A.
    /// </summary>
    internal static (int[] A, int[] B) OperandShapes(NodeContext ctx)
    {
        var a = ctx.Shape(0);
        var b = ctx.Shape(1);
        if (ctx.Opset >= 7 || ctx.Int("broadcast", 0) == 0 || !ctx.HasAttribute("axis")) return (a, b);
        int axis = ShapeArgs.Axis(ctx, ctx.Int("axis", 0), a.Length);
        if (axis + b.Length > a.Length)
            throw ctx.Error($"B {ShapeMath.Format(b)} does not fit in A {ShapeMath.Format(a)} from axis {axis}");
        var aligned = Enumerable.Repeat(1, a.Length).ToArray();
        b.CopyTo(aligned, axis);
        return (a, aligned);
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

    protected BroadcastFloatKernel(NodeContext ctx) : this(ctx, BroadcastBinaryOp.OperandShapes(ctx)) { }

    /// <summary>A kernel over operands of the given shapes (which may differ from the inputs' in rank, as legacy forms need).</summary>
    protected BroadcastFloatKernel(NodeContext ctx, (int[] A, int[] B) shapes)
    {
        _shapes = [shapes.A, shapes.B, ctx.OutputInfos[0].Shape];
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

/// <summary>Forward-only broadcast kernel of the numeric types other than float32 (shape arithmetic, integer and double models); scalar loops.</summary>
internal sealed class BroadcastScalarKernel<TFamily> : ForwardOnlyKernel where TFamily : IScalarFamily
{
    private readonly BroadcastLayout _layout;

    public BroadcastScalarKernel(NodeContext ctx)
    {
        var (a, b) = BroadcastBinaryOp.OperandShapes(ctx);
        _layout = BroadcastLayout.Create(ctx.OutputInfos[0].Shape, a, b);
    }

    /// <inheritdoc/>
    public override void Forward(RunContext ctx)
    {
        switch (Outputs[0].Type)
        {
            case DataType.Int64: Map<long>(); break;
            case DataType.Int32: Map<int>(); break;
            case DataType.Float64: Map<double>(); break;
            case DataType.Float32: Map<float>(); break;
            case DataType.Int8: Map<sbyte>(); break;
            case DataType.UInt8: Map<byte>(); break;
            case DataType.Int16: Map<short>(); break;
            case DataType.UInt16: Map<ushort>(); break;
            default: throw new NotSupportedException($"element type {Outputs[0].Type}");
        }
    }

    private void Map<T>() where T : unmanaged, System.Numerics.INumber<T> =>
        Broadcast.MapScalar<T, ScalarFamilies.Of<T, TFamily>>(_layout, Inputs[0].Span<T>(), Inputs[1].Span<T>(), Outputs[0].Span<T>());
}
