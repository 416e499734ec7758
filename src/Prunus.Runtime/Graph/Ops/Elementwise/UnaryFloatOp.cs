using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Base of float ops y = f(x) with y shaped like x: their shape inference.</summary>
public abstract class UnaryFloatOp : Operator
{
    /// <inheritdoc/>
    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        ctx.ExpectType(0, DataType.Float32);
        return [ctx.Input(0)];
    }
}

/// <summary>
/// Base of the kernels of <see cref="UnaryFloatOp"/>s (input 0 to output 0, same shape): runs <see cref="Apply"/> and
/// <see cref="Gradient"/> over chunks of the tensor, split across the pool when it is large.
/// </summary>
internal abstract class UnaryFloatKernel : Kernel
{
    private readonly ChunkedWork _forward;
    private readonly ChunkedWork _backward;

    protected UnaryFloatKernel()
    {
        _forward = new ChunkedWork(ForwardChunk);
        _backward = new ChunkedWork(BackwardChunk);
    }

    /// <summary>y = f(x) over one chunk.</summary>
    protected abstract void Apply(ReadOnlySpan<float> x, Span<float> y);

    /// <summary>dx += f'(x) dy over one chunk; x and y are the input and output of the forward pass.</summary>
    protected abstract void Gradient(ReadOnlySpan<float> x, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, Span<float> dx);

    /// <summary>Called before a forward or backward pass, e.g. to read bounds given as tensors.</summary>
    protected virtual void Prepare() { }

    /// <inheritdoc/>
    public sealed override void Forward(RunContext ctx)
    {
        Prepare();
        _forward.Run(ctx.Pool, Outputs[0].Length);
    }

    /// <inheritdoc/>
    public sealed override void Backward(RunContext ctx)
    {
        if (InputGrads[0] is null || OutputGrads[0] is null) return;
        Prepare();
        _backward.Run(ctx.Pool, Outputs[0].Length);
    }

    private void ForwardChunk(int start, int count) =>
        Apply(Inputs[0].Floats.Slice(start, count), Outputs[0].Floats.Slice(start, count));

    private void BackwardChunk(int start, int count) =>
        Gradient(Inputs[0].Floats.Slice(start, count), Outputs[0].Floats.Slice(start, count),
            OutputGrads[0]!.Floats.Slice(start, count), InputGrads[0]!.Floats.Slice(start, count));
}
