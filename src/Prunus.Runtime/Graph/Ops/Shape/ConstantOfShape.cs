using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>ConstantOfShape: a tensor of the shape given by input 0 (int64, known at plan time) filled with <c>value</c> (default float 0).</summary>
public sealed class ConstantOfShapeOp : Operator
{
    public override string OpType => "ConstantOfShape";
    public override bool IsDifferentiable(int index) => false;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var shape = ctx.Input(0);
        if (shape.Type != DataType.Int64) throw ctx.Error($"the shape input must be int64, got {shape.Type}");
        if (shape.Rank != 1) throw ctx.Error($"the shape input must be 1-D, got shape {ShapeMath.Format(shape.Shape)}");
        var dims = ctx.RequireConstant(0).ToInt64Array();
        if (dims.Any(d => d < 0 || d > int.MaxValue)) throw ctx.Error($"shape [{string.Join(",", dims)}] has a negative or too large dimension");
        var result = dims.Select(d => (int)d).ToArray();
        try { ShapeMath.Size(result); }
        catch (ArgumentException e) { throw ctx.Error(e.Message); }
        return [new TensorInfo(Value(ctx).Type, result)];
    }

    private static Tensor Value(NodeContext ctx)
    {
        if (!ctx.HasAttribute("value")) return Tensor.Scalar(0f);
        var value = ctx.TensorAttribute("value") ?? throw ctx.Error("attribute 'value' must be a tensor");
        if (value.Length != 1) throw ctx.Error($"attribute 'value' must hold one element, got shape {ShapeMath.Format(value.Shape)}");
        return value;
    }

    public override Kernel CreateKernel(NodeContext ctx) => new FillKernel(Value(ctx));

    private sealed class FillKernel(Tensor value) : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx)
        {
            var y = Outputs[0];
            switch (y.Type.SizeOf())
            {
                case 1: DataMovement.As<byte>(y).Fill(DataMovement.As<byte>(value)[0]); break;
                case 2: DataMovement.As<short>(y).Fill(DataMovement.As<short>(value)[0]); break;
                case 4: DataMovement.As<int>(y).Fill(DataMovement.As<int>(value)[0]); break;
                default: DataMovement.As<long>(y).Fill(DataMovement.As<long>(value)[0]); break;
            }
        }
    }
}
