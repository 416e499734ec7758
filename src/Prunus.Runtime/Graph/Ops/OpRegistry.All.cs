namespace Prunus.Graph.Ops;

public static partial class OpRegistry
{
    // Every operator, one line each. Grouped by the file folders under Graph/Ops.
    private static IEnumerable<Operator> All() =>
    [
        // Activations
        new ReluOp(),
        // Conv: convolution, pooling, batch normalization
        new ConvOp(),
        new ConvTransposeOp(),
        new MaxPoolOp(),
        new AveragePoolOp(),
        new GlobalAveragePoolOp(),
        new GlobalMaxPoolOp(),
        new BatchNormalizationOp(),
    ];
}
