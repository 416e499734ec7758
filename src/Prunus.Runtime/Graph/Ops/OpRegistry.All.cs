namespace Prunus.Graph.Ops;

public static partial class OpRegistry
{
    // Every operator, one line each. Grouped by the file folders under Graph/Ops.
    private static IEnumerable<Operator> All() =>
    [
        // Activations
        new ReluOp(),
        // Shape
        new ReshapeOp(),
        new FlattenOp(),
        new SqueezeOp(),
        new UnsqueezeOp(),
        new IdentityOp(),
        new TransposeOp(),
        new ConcatOp(),
        new SplitOp(),
        new SliceOp(),
        new ShapeOp(),
        new ConstantOp(),
        // Normalization
        new SoftmaxOp(),
        new LogSoftmaxOp(),
        new LayerNormalizationOp(),
        new DropoutOp(),
        // Reduction
        new ReduceSumOp(),
        new ReduceMeanOp(),
        new ReduceMaxOp(),
        new ReduceMinOp(),
        new ReduceProdOp(),
        new ReduceL2Op(),
    ];
}
