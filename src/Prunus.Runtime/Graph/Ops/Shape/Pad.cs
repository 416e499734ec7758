using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Pad: the input grown (or, for negative pads, cropped) at both ends of each axis, the border filled by a constant
/// or by reflect, edge or wrap. Before opset 11 pads, value and mode are attributes; from 11 pads (int64), the optional
/// constant_value and (from 18) axes are inputs, pads and axes known at plan time.
/// </summary>
public sealed class PadOp : Operator
{
    public override string OpType => "Pad";
    public override bool IsDifferentiable(int index) => index == 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        if (ctx.HasInput(2))
        {
            var value = ctx.Input(2);
            if (value.Type != x.Type) throw ctx.Error($"constant_value (input 2) must have the data's type {x.Type}, got {value.Type}");
            if (value.Length > 1) throw ctx.Error($"constant_value (input 2) must be a scalar, got shape {ShapeMath.Format(value.Shape)}");
        }
        return [new TensorInfo(x.Type, Layout(ctx).OutputShape)];
    }

    private static PadLayout Layout(NodeContext ctx)
    {
        var shape = ctx.Shape(0);
        int rank = shape.Length;
        var pads = ShapeArgs.IntsFromInputOrAttribute(ctx, 1, "pads") ?? throw ctx.Error("needs pads (attribute before opset 11, input 1 from 11)");
        var axes = ctx.HasInput(3) ? ShapeArgs.Axes(ctx, ShapeArgs.IntsFromInputOrAttribute(ctx, 3, "axes")!, rank)
            : Enumerable.Range(0, rank).ToArray();
        if (pads.Length != 2 * axes.Length)
            throw ctx.Error($"pads [{string.Join(",", pads)}] has {pads.Length} entries; {axes.Length} axes need {2 * axes.Length} (all begins, then all ends)");
        var begins = new long[rank];
        var ends = new long[rank];
        for (int i = 0; i < axes.Length; i++)
        {
            begins[axes[i]] = pads[i];
            ends[axes[i]] = pads[axes.Length + i];
        }
        try { return PadLayout.Create(shape, begins, ends, Mode(ctx)); }
        catch (ArgumentException e) { throw ctx.Error(e.Message); }
    }

    private static PadMode Mode(NodeContext ctx) => ctx.String("mode", "constant") switch
    {
        "constant" => PadMode.Constant,
        "reflect" => PadMode.Reflect,
        "edge" => PadMode.Edge,
        "wrap" => PadMode.Wrap,
        var m => throw ctx.Error($"mode '{m}' is not one of constant, reflect, edge, wrap"),
    };

    public override Kernel CreateKernel(NodeContext ctx)
    {
        // The fill value before opset 11 is the float attribute 'value', converted to the data's type once.
        var type = ctx.Input(0).Type;
        var fill = Tensor.Zeros(type, 1);
        TypeConversion.Convert(Tensor.From([ctx.Float("value", 0f)], 1), fill);
        return new PadKernel(Layout(ctx), fill);
    }

    private sealed class PadKernel(PadLayout layout, Tensor attributeFill) : Kernel
    {
        public override void Forward(RunContext ctx)
        {
            var fill = Has(2) && Inputs[2].Length > 0 ? Inputs[2] : attributeFill;
            var x = Inputs[0];
            var y = Outputs[0];
            switch (x.Type.SizeOf())
            {
                case 1: layout.Forward<byte>(DataMovement.As<byte>(x), DataMovement.As<byte>(fill)[0], DataMovement.As<byte>(y)); break;
                case 2: layout.Forward<short>(DataMovement.As<short>(x), DataMovement.As<short>(fill)[0], DataMovement.As<short>(y)); break;
                case 4: layout.Forward<int>(DataMovement.As<int>(x), DataMovement.As<int>(fill)[0], DataMovement.As<int>(y)); break;
                default: layout.Forward<long>(DataMovement.As<long>(x), DataMovement.As<long>(fill)[0], DataMovement.As<long>(y)); break;
            }
        }

        // Each output element's gradient goes to the input element it copied; the constant border has none.
        public override void Backward(RunContext ctx)
        {
            if (InputGrads[0] is not { } dx || OutputGrads[0] is not { } dy) return;
            layout.Backward(dy.Floats, dx.Floats);
        }

        public override string Algorithm => "pad-map";
    }
}
