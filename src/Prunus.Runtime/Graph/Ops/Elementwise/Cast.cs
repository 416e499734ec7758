using Prunus.Kernels;
using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Cast: the input converted to the element type <c>to</c> (see <see cref="TypeConversion"/> for the rules); a float-to-float cast passes the gradient.</summary>
public sealed class CastOp : Operator
{
    public override string OpType => "Cast";

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var x = ctx.Input(0);
        return [new TensorInfo(Target(ctx), x.Shape)];
    }

    // 'saturate' (opset 19) only concerns float8 targets, which Prunus cannot store, so it is ignored.
    private static DataType Target(NodeContext ctx)
    {
        if (!ctx.HasAttribute("to")) throw ctx.Error("needs the 'to' attribute");
        long to = ctx.Int("to", 0);
        var type = (DataType)to;
        if (!Enum.IsDefined(type) || type == DataType.Undefined)
            throw ctx.Error($"target type {to} ({OnnxTypeName(to)}) has no storage in Prunus; supported: float, double, int64, int32, int16, uint16, int8, uint8, int4, uint4, bool");
        return type;
    }

    private static string OnnxTypeName(long code) => code switch
    {
        4 => "uint16", 5 => "int16", 8 => "string", 10 => "float16", 12 => "uint32", 13 => "uint64", 14 => "complex64",
        15 => "complex128", 16 => "bfloat16", >= 17 and <= 20 => "float8", 21 => "uint4", 22 => "int4", _ => "unknown",
    };

    // Same type in and out: the output is the input.
    public override bool IsView(NodeContext ctx) => ctx.Input(0).Type == ctx.OutputInfos[0].Type;

    public override Kernel CreateKernel(NodeContext ctx) =>
        ctx.Input(0).Type == ctx.OutputInfos[0].Type ? new ViewKernel() : new CastKernel();

    private sealed class CastKernel : Kernel
    {
        public override void Forward(RunContext ctx) => TypeConversion.Convert(Inputs[0], Outputs[0]);

        // Gradients exist only for float32 values, so a cast that changes the type passes none.
        public override void Backward(RunContext ctx) { }

        public override string Algorithm => "cast";
    }
}
