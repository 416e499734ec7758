using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Pow: Z = X ^ Y with NumPy broadcasting; a float32 base with gradients for base and (float) exponent, other numeric
/// bases (forward only, computed in double and converted back as NumPy's astype does) with any numeric exponent.
/// </summary>
public sealed class PowOp : BroadcastBinaryOp
{
    public override string OpType => "Pow";
    // broadcast/axis attributes before 7, mixed base and exponent types (12+).
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    protected override void CheckTypes(NodeContext ctx, DataType a, DataType b)
    {
        if (!IsNumeric(a)) throw ctx.Error($"the base must be numeric, got {a}");
        if (!IsNumeric(b)) throw ctx.Error($"the exponent must be numeric, got {b}");
    }

    public override Kernel CreateKernel(NodeContext ctx) =>
        ctx.Input(0).Type == DataType.Float32 ? new PowKernel(ctx) : new PowScalarKernel(ctx);

    /// <summary>x^y in double.</summary>
    private readonly struct PowDouble : IScalarBinaryOp<double>
    {
        public static double Invoke(double x, double y) => Math.Pow(x, y);
    }

    /// <summary>Base and exponent widened to double, raised, and converted to the base's type (truncating for integers).</summary>
    private sealed class PowScalarKernel : ForwardOnlyKernel
    {
        private readonly BroadcastLayout _layout;
        private readonly double[] _a, _b, _y;

        public PowScalarKernel(NodeContext ctx)
        {
            var (a, b) = OperandShapes(ctx);
            _layout = BroadcastLayout.Create(ctx.OutputInfos[0].Shape, a, b);
            _a = new double[ctx.Input(0).Length];
            _b = new double[ctx.Input(1).Length];
            _y = new double[ctx.OutputInfos[0].Length];
        }

        public override void Forward(RunContext ctx)
        {
            for (int i = 0; i < _a.Length; i++) _a[i] = Inputs[0].GetAsDouble(i);
            for (int i = 0; i < _b.Length; i++) _b[i] = Inputs[1].GetAsDouble(i);
            Broadcast.MapScalar<double, PowDouble>(_layout, _a, _b, _y);
            var z = Outputs[0];
            switch (z.Type)
            {
                case DataType.Float64: _y.CopyTo(z.Span<double>()); break;
                case DataType.Int64: for (int i = 0; i < _y.Length; i++) z.Span<long>()[i] = (long)_y[i]; break;
                case DataType.Int32: for (int i = 0; i < _y.Length; i++) z.Span<int>()[i] = (int)_y[i]; break;
                case DataType.Int8: for (int i = 0; i < _y.Length; i++) z.Span<sbyte>()[i] = (sbyte)_y[i]; break;
                case DataType.UInt8: for (int i = 0; i < _y.Length; i++) z.Span<byte>()[i] = (byte)_y[i]; break;
                case DataType.Int16: for (int i = 0; i < _y.Length; i++) z.Span<short>()[i] = (short)_y[i]; break;
                case DataType.UInt16: for (int i = 0; i < _y.Length; i++) z.Span<ushort>()[i] = (ushort)_y[i]; break;
                default: throw new NotSupportedException($"element type {z.Type}");
            }
        }
    }

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
