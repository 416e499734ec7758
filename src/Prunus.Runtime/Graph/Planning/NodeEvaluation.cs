using Prunus.Graph.Ops;
using Prunus.Tensors;

namespace Prunus.Graph.Planning;

/// <summary>
/// Shape inference and constant evaluation of one node, shared by the planner (which folds constants at plan time)
/// and the graph passes (which fold them into initializers for good), so that both fold by the same rules.
/// </summary>
internal static class NodeEvaluation
{
    /// <summary>
    /// Builds the node's context and infers its outputs (also stored in <see cref="NodeContext.OutputInfos"/>).
    /// Errors from shape inference come back as a <see cref="ModelException"/> that names the node.
    /// </summary>
    public static NodeContext Infer(Operator op, Node node, TensorInfo[] inputInfos, Tensor?[] constants, bool training,
        bool constantWeights, long opset)
    {
        var ctx = new NodeContext(node, inputInfos, constants, training, constantWeights, opset);
        TensorInfo[] outInfos;
        try { outInfos = op.InferOutputs(ctx); }
        catch (PrunusException) { throw; }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IndexOutOfRangeException)
        { throw ctx.Error($"shape inference failed for inputs {string.Join(", ", inputInfos)}: {e.Message}"); }
        if (outInfos.Length < node.Outputs.Count(o => o.Length > 0))
            throw ctx.Error($"produces {outInfos.Length} outputs but the node names {node.Outputs.Count}");
        ctx.OutputInfos = outInfos;
        return ctx;
    }

    /// <summary>
    /// Whether a node is computed once, ahead of time: its outputs depend only on input shapes, or every input is a
    /// constant; random ops are never folded while training (their outputs change from run to run).
    /// </summary>
    public static bool Folds(Operator op, bool allInputsConstant, bool training) =>
        (op.DependsOnlyOnShapes || allInputsConstant) && !(op.IsRandom && training);

    /// <summary>
    /// Runs the node's own kernel once, in inference mode on <paramref name="foldContext"/>, and returns its outputs
    /// (one per entry of <see cref="NodeContext.OutputInfos"/>). Inputs that are not constants (only their shapes
    /// matter to the node) are given as zeros.
    /// </summary>
    public static Tensor[] Evaluate(Operator op, NodeContext ctx, RunContext foldContext)
    {
        var kernel = op.CreateKernel(ctx);
        kernel.Inputs = ctx.Node.Inputs.Select((n, i) => n.Length == 0 ? null!
            : ctx.Constant(i) ?? Tensor.Zeros(ctx.InputInfos[i].Type, ctx.InputInfos[i].Shape)).ToArray();
        kernel.Outputs = ctx.OutputInfos.Select(o => Tensor.Zeros(o.Type, o.Shape)).ToArray();
        kernel.Forward(foldContext);
        return kernel.Outputs;
    }
}
