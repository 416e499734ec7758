using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Where: y = condition ? X : Y elementwise, the three inputs broadcast together; X and Y of any one type.</summary>
public sealed class WhereOp : Operator
{
    public override string OpType => "Where";
    public override bool IsDifferentiable(int index) => index != 0;

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var c = ctx.Input(0);
        var x = ctx.Input(1);
        var y = ctx.Input(2);
        if (c.Type != DataType.Bool) throw ctx.Error($"condition (input 0) must be bool, got {c.Type}");
        if (x.Type != y.Type) throw ctx.Error($"X and Y must have one type, got {x.Type} and {y.Type}");
        var shape = BroadcastBinaryOp.BroadcastShape(ctx, BroadcastBinaryOp.BroadcastShape(ctx, c.Shape, x.Shape), y.Shape);
        return [new TensorInfo(x.Type, shape)];
    }

    public override Kernel CreateKernel(NodeContext ctx) => new WhereKernel(ctx.Shape(0), ctx.Shape(1), ctx.Shape(2), ctx.OutputInfos[0].Shape);

    private sealed class WhereKernel(int[] cond, int[] x, int[] y, int[] output) : Kernel
    {
        private readonly BroadcastLayout _layout = BroadcastLayout.Create(output, cond, x, y);
        private readonly BroadcastLayout _gradX = BroadcastLayout.Create(output, x, cond, cond);
        private readonly BroadcastLayout _gradY = BroadcastLayout.Create(output, y, cond, cond);
        // Condition as float 1/0 and 0/1, made on the first backward pass.
        private float[]? _pick, _skip;

        public override void Forward(RunContext ctx)
        {
            var c = Inputs[0].Span<bool>();
            var dst = Outputs[0];
            switch (dst.Type.SizeOf())
            {
                case 1: BroadcastLogic.Select<byte>(_layout, c, DataMovement.As<byte>(Inputs[1]), DataMovement.As<byte>(Inputs[2]), DataMovement.As<byte>(dst)); break;
                case 2: BroadcastLogic.Select<short>(_layout, c, DataMovement.As<short>(Inputs[1]), DataMovement.As<short>(Inputs[2]), DataMovement.As<short>(dst)); break;
                case 4: BroadcastLogic.Select<int>(_layout, c, DataMovement.As<int>(Inputs[1]), DataMovement.As<int>(Inputs[2]), DataMovement.As<int>(dst)); break;
                default: BroadcastLogic.Select<long>(_layout, c, DataMovement.As<long>(Inputs[1]), DataMovement.As<long>(Inputs[2]), DataMovement.As<long>(dst)); break;
            }
        }

        // dX += dy where the condition holds, dY += dy where it does not, each reduced onto its operand's shape.
        public override void Backward(RunContext ctx)
        {
            if (OutputGrads[0] is not { } dy || (InputGrads[1] is null && InputGrads[2] is null)) return;
            var c = Inputs[0].Span<bool>();
            _pick ??= new float[c.Length];
            _skip ??= new float[c.Length];
            for (int i = 0; i < c.Length; i++)
            {
                _pick[i] = c[i] ? 1f : 0f;
                _skip[i] = 1f - _pick[i];
            }
            if (InputGrads[1] is { } dx) Broadcast.Accumulate<Elementwise.MulGradOp>(_gradX, _pick, _pick, dy.Floats, dx.Floats);
            if (InputGrads[2] is { } dyIn) Broadcast.Accumulate<Elementwise.MulGradOp>(_gradY, _skip, _skip, dy.Floats, dyIn.Floats);
        }

        public override string Algorithm => "where-select";
    }
}
