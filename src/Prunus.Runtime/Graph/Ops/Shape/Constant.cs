using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>Constant: the tensor given by one of the attributes value, value_float(s), value_int(s); folded at plan time.</summary>
public sealed class ConstantOp : Operator
{
    public override string OpType => "Constant";
    // value, and value_float(s)/value_int(s) (12); not sparse_value or strings.
    public override OpsetRange? Opsets => OpsetRange.Since(1);

    public override TensorInfo[] InferOutputs(NodeContext ctx)
    {
        var t = Value(ctx);
        return [new TensorInfo(t.Type, t.Shape)];
    }

    private static Tensor Value(NodeContext ctx)
    {
        var attributes = ctx.Node.Attributes;
        string[] forms = ["value", "value_float", "value_floats", "value_int", "value_ints"];
        var present = forms.Where(attributes.ContainsKey).ToArray();
        if (present.Length != 1)
        {
            var unsupported = attributes.Keys.Where(k => k.StartsWith("value_string", StringComparison.Ordinal) || k == "sparse_value").ToArray();
            if (unsupported.Length > 0) throw ctx.Error($"attribute '{unsupported[0]}' is not supported (Prunus has no string or sparse tensors)");
            throw ctx.Error(present.Length == 0 ? "needs one of the attributes value, value_float, value_floats, value_int, value_ints"
                : $"has {present.Length} value attributes ({string.Join(", ", present)}); exactly one is allowed");
        }
        return present[0] switch
        {
            "value" => ctx.TensorAttribute("value") ?? throw ctx.Error("attribute 'value' is not a tensor"),
            "value_float" => Tensor.Scalar(ctx.Float("value_float", 0)),
            "value_floats" => Tensor.From((float[])ctx.Floats("value_floats")!.Clone(), ctx.Floats("value_floats")!.Length),
            "value_int" => Tensor.Scalar(ctx.Int("value_int", 0)),
            _ => Tensor.From((long[])ctx.Ints("value_ints")!.Clone(), ctx.Ints("value_ints")!.Length),
        };
    }

    public override Kernel CreateKernel(NodeContext ctx) => new ConstantKernel(Value(ctx));

    private sealed class ConstantKernel(Tensor value) : ForwardOnlyKernel
    {
        public override void Forward(RunContext ctx) => Outputs[0].CopyFrom(value);
    }
}
