using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Runs one node at fixed shapes. The planner binds every tensor before the first run, so <see cref="Forward"/> and
/// <see cref="Backward"/> allocate nothing. Absent optional inputs are bound as null.
/// </summary>
public abstract class Kernel
{
    /// <summary>Input tensors (null where an optional input is absent).</summary>
    public Tensor[] Inputs { get; set; } = [];
    /// <summary>Output tensors.</summary>
    public Tensor[] Outputs { get; set; } = [];
    /// <summary>Gradients of the loss with respect to each output; null where no gradient reaches that output.</summary>
    public Tensor?[] OutputGrads { get; set; } = [];
    /// <summary>Gradients to accumulate for each input; null where none is wanted. Backward ADDS into these.</summary>
    public Tensor?[] InputGrads { get; set; } = [];

    /// <summary>Computes the outputs from the inputs.</summary>
    public abstract void Forward(RunContext ctx);

    /// <summary>Adds d(loss)/d(input) into each non-null <see cref="InputGrads"/> entry, from <see cref="OutputGrads"/>.</summary>
    public virtual void Backward(RunContext ctx) =>
        throw new NotSupportedException($"{GetType().Name} has no gradient rule");

    /// <summary>A short name of the algorithm this kernel uses (for profiles), e.g. "gemm-avx512".</summary>
    public virtual string Algorithm => GetType().Name;

    /// <summary>Whether input <paramref name="i"/> is bound.</summary>
    protected bool Has(int i) => i < Inputs.Length && Inputs[i] is not null;
}

/// <summary>A kernel for ops whose forward is all there is (integer and shape ops): no gradient.</summary>
public abstract class ForwardOnlyKernel : Kernel
{
    /// <inheritdoc/>
    public override void Backward(RunContext ctx) { }
}
