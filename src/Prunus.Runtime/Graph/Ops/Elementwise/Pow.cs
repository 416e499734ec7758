using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Pow: Z = X ^ Y with NumPy broadcasting; float base, float or integer exponent; gradients for base and (float) exponent.</summary>
public sealed class PowOp : BroadcastBinaryOp
{
    public override string OpType => "Pow";

    protected override void CheckTypes(NodeContext ctx, DataType a, DataType b)
    {
        if (a != DataType.Float32) throw ctx.Error($"the base must be Float32, got {a}");
        if (b is not (DataType.Float32 or DataType.Int32 or DataType.Int64))
            throw ctx.Error($"the exponent must be Float32, Int32 or Int64, got {b}");
    }

    public override Kernel CreateKernel(NodeContext ctx) => new PowKernel(ctx);

    private sealed class PowKernel : BroadcastFloatKernel
    {
        private readonly BroadcastLayout _gradBase, _gradExponent, _gradSquare;
        // An integer exponent is converted here before each pass.
        private readonly float[]? _intExponent;
        private bool _square;

        public PowKernel(NodeContext ctx) : base(ctx)
        {
            _gradBase = GradLayout(OperandA, OperandA, OperandB);
            _gradExponent = GradLayout(OperandB, OperandA, OperandB);
            _gradSquare = GradLayout(OperandA, OperandA, OperandA);
            if (ctx.Input(1).Type != DataType.Float32) _intExponent = new float[ctx.Input(1).Length];
        }

        private ReadOnlySpan<float> Exponent => _intExponent ?? Inputs[1].Floats;

        protected override void Prepare()
        {
            if (_intExponent is { } e)
                for (int i = 0; i < e.Length; i++) e[i] = (float)Inputs[1].GetAsDouble(i);
            // x^2 (variances, squared errors) is by far the most common case: a plain multiply. With a one-element
            // exponent the output has the base's elements in the base's order.
            var exponent = Exponent;
            _square = exponent.Length == 1 && exponent[0] == 2f;
        }

        protected override void ForwardRange(int start, int count)
        {
            if (_square) VectorLoops.Unary<Elementwise.SquareOp>(A.Slice(start, count), Y.Slice(start, count));
            else Broadcast.Map<Elementwise.PowOp>(Layout, A, Exponent, Y, start, count);
        }

        // dX += dy Y X^(Y-1); dY += dy X^Y log X; each summed over its broadcast dimensions.
        protected override void BackwardRange(int input, int start, int count)
        {
            if (input == 0 && _square) Broadcast.Accumulate<Elementwise.SquareGradOp>(_gradSquare, A, A, DY, Grad(0), start, count);
            else if (input == 0) Broadcast.Accumulate<Elementwise.PowGradBaseOp>(_gradBase, A, Exponent, DY, Grad(0), start, count);
            else Broadcast.Accumulate<Elementwise.PowGradExponentOp>(_gradExponent, A, Exponent, DY, Grad(1), start, count);
        }
    }
}
