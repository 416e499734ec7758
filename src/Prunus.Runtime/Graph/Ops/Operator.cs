using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// The definition of one ONNX op: shape inference, and a factory for the kernel that runs it (forward and gradient)
/// at concrete shapes. One op, one file: the operator and its kernel live together.
/// </summary>
public abstract class Operator
{
    /// <summary>The ONNX op type, e.g. "Conv".</summary>
    public abstract string OpType { get; }

    /// <summary>The op's domain: "" for the ONNX default domain, else a custom one (Prunus's own ops use "ai.prunus").</summary>
    public virtual string Domain => "";

    /// <summary>Output types and shapes for the node's concrete input shapes (and constant inputs, when known).</summary>
    public abstract TensorInfo[] InferOutputs(NodeContext ctx);

    /// <summary>A kernel bound to the node's shapes; <see cref="NodeContext.OutputInfos"/> is set when this is called.</summary>
    public abstract Kernel CreateKernel(NodeContext ctx);

    /// <summary>Whether a gradient flows into input <paramref name="index"/> (false for indices, shapes, running statistics).</summary>
    public virtual bool IsDifferentiable(int index) => true;

    /// <summary>
    /// Whether a gradient flows into input <paramref name="index"/> of <paramref name="node"/>: <see cref="IsDifferentiable(int)"/>
    /// unless the op's attributes decide it (a fake quantizer's scale learns only when the node asks for it).
    /// </summary>
    public virtual bool IsDifferentiable(Node node, int index) => IsDifferentiable(index);

    /// <summary>
    /// True when output 0 is input 0's data under a new shape (Reshape, Flatten, Squeeze, Identity, ...). The planner then
    /// makes the output a view of the input and skips the forward kernel; the kernel's backward still runs.
    /// </summary>
    public virtual bool IsView(NodeContext ctx) => false;

    /// <summary>
    /// True when the outputs depend only on input shapes, not values (Shape, Size): such nodes fold to constants at plan time.
    /// </summary>
    public virtual bool DependsOnlyOnShapes => false;

    /// <summary>True when outputs are not a pure function of the inputs in training (Dropout), so it must not be folded.</summary>
    public virtual bool IsRandom => false;

    /// <summary>The opset versions whose form of this op the implementation handles (for documentation); null when not stated.</summary>
    public virtual OpsetRange? Opsets => null;
}
