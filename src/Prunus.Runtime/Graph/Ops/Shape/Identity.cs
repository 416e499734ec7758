using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Identity: y = x; a view.</summary>
public sealed class IdentityOp : Operator
{
    public override string OpType => "Identity";
    public override OpsetRange? Opsets => OpsetRange.Since(1);
    public override bool IsView(NodeContext ctx) => true;
    public override TensorInfo[] InferOutputs(NodeContext ctx) => [ctx.Input(0)];
    public override Kernel CreateKernel(NodeContext ctx) => new ViewKernel();
}
