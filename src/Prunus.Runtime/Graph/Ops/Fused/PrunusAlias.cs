using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// A default-domain op offered under domain ai.prunus, with the same semantics, for graphs whose opset predates it
/// (Gelu before opset 20, LayerNormalization before 17), so that a fusion does not have to raise the model's opset.
/// </summary>
public sealed class PrunusAliasOp(Operator inner) : Operator
{
    public override string OpType => inner.OpType;
    public override string Domain => PrunusDomain.Name;
    public override TensorInfo[] InferOutputs(NodeContext ctx) => inner.InferOutputs(ctx);
    public override Kernel CreateKernel(NodeContext ctx) => inner.CreateKernel(ctx);
    public override bool IsDifferentiable(int index) => inner.IsDifferentiable(index);
    public override bool IsView(NodeContext ctx) => inner.IsView(ctx);
    public override bool DependsOnlyOnShapes => inner.DependsOnlyOnShapes;
    public override bool IsRandom => inner.IsRandom;
}
