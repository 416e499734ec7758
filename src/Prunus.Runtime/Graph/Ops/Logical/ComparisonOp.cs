using System.Runtime.InteropServices;
using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// Base of the comparison ops (Equal, Less, Greater, LessOrEqual, GreaterOrEqual): two inputs of one numeric type
/// (Equal also bool) broadcast together into a bool output. No gradient flows through a comparison.
/// </summary>
public abstract class ComparisonOp<TCmp> : Operator where TCmp : struct, IComparison
{
    /// <summary>Whether bool inputs are accepted (Equal only).</summary>
    protected virtual bool AcceptsBool => false;

    /// <inheritdoc/>
    public override bool IsDifferentiable(int index) => false;

    /// <inheritdoc/>
    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var a = ctx.Input(0);
        var b = ctx.Input(1);
        if (a.Type != b.Type) throw ctx.Error($"inputs must have one type, got {a.Type} and {b.Type}");
        if (a.Type == DataType.Bool && !AcceptsBool) throw ctx.Error("inputs must be numeric, got Bool");
        return [new TensorInfo(DataType.Bool, BroadcastBinaryOp.BroadcastShape(ctx, a.Shape, b.Shape))];
    }

    /// <inheritdoc/>
    public override Kernel CreateKernel(NodeContext ctx) =>
        new CompareKernel(BroadcastLayout.Create(ctx.OutputInfos[0].Shape, ctx.Shape(0), ctx.Shape(1)));

    private sealed class CompareKernel(BroadcastLayout layout) : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx)
        {
            var a = Inputs[0];
            var b = Inputs[1];
            var y = Outputs[0].Span<bool>();
            switch (a.Type)
            {
                case DataType.Float32: BroadcastLogic.Compare<float, TCmp>(layout, a.Floats, b.Floats, y); break;
                case DataType.Float64: BroadcastLogic.Compare<double, TCmp>(layout, a.Span<double>(), b.Span<double>(), y); break;
                case DataType.Int64: BroadcastLogic.Compare<long, TCmp>(layout, a.Span<long>(), b.Span<long>(), y); break;
                case DataType.Int32: BroadcastLogic.Compare<int, TCmp>(layout, a.Span<int>(), b.Span<int>(), y); break;
                case DataType.Int8: BroadcastLogic.Compare<sbyte, TCmp>(layout, a.Span<sbyte>(), b.Span<sbyte>(), y); break;
                case DataType.UInt8: BroadcastLogic.Compare<byte, TCmp>(layout, a.Span<byte>(), b.Span<byte>(), y); break;
                case DataType.Int16: BroadcastLogic.Compare<short, TCmp>(layout, a.Span<short>(), b.Span<short>(), y); break;
                case DataType.UInt16: BroadcastLogic.Compare<ushort, TCmp>(layout, a.Span<ushort>(), b.Span<ushort>(), y); break;
                // Bools are stored as 0 and 1, so they compare as bytes.
                default: BroadcastLogic.Compare<byte, TCmp>(layout, MemoryMarshal.AsBytes(a.Span<bool>()), MemoryMarshal.AsBytes(b.Span<bool>()), y); break;
            }
        }

        public override string Algorithm => "compare-broadcast";
    }
}
