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
        // Linear
        new GemmOp(),
        new MatMulOp(),
        // Conv: convolution, pooling, batch normalization
        new ConvOp(),
        new ConvTransposeOp(),
        new MaxPoolOp(),
        new AveragePoolOp(),
        new GlobalAveragePoolOp(),
        new GlobalMaxPoolOp(),
        new BatchNormalizationOp(),
        new LeakyReluOp(),
        new PReluOp(),
        new SigmoidOp(),
        new TanhOp(),
        new GeluOp(),
        new HardSigmoidOp(),
        new HardSwishOp(),
        new ClipOp(),
        new EluOp(),
        new SeluOp(),
        new SoftplusOp(),
        new MishOp(),

        // Elementwise
        new AddOp(),
        new SubOp(),
        new MulOp(),
        new DivOp(),
        new PowOp(),
        new MaxOp(),
        new MinOp(),
        new SqrtOp(),
        new ExpOp(),
        new LogOp(),
        new NegOp(),
        new AbsOp(),
        new ReciprocalOp(),
        new FloorOp(),
        new CeilOp(),
        new ErfOp(),

        // Ops for imported models: indexing, casts, comparisons, logic, search, padding, einsum
        new GatherOp(),
        new SizeOp(),
        new CastOp(),
        new ConstantOfShapeOp(),
        new RangeOp(),
        new ExpandOp(),
        new TileOp(),
        new WhereOp(),
        new EqualOp(),
        new LessOp(),
        new GreaterOp(),
        new LessOrEqualOp(),
        new GreaterOrEqualOp(),
        new NotOp(),
        new AndOp(),
        new OrOp(),
        new XorOp(),
        new ArgMaxOp(),
        new ArgMinOp(),
        new TopKOp(),
        new RoundOp(),
        new SignOp(),
        new TriluOp(),
        new CumSumOp(),
        new SumOp(),
        new MeanOp(),
        new PadOp(),
        new EinsumOp(),

        // Spatial resampling and instance normalization
        new ResizeOp(),
        new UpsampleOp(),
        new InstanceNormalizationOp(),

        // Ops found missing by PyTorch-exported models
        new ModOp(),
        new SinOp(),
        new CosOp(),
        new GatherElementsOp(),

        // quantization
        new QuantizeLinearOp(),
        new DequantizeLinearOp(),
        new DynamicQuantizeLinearOp(),
        new MatMulIntegerOp(),
        new ConvIntegerOp(),
        new QLinearMatMulOp(),
        new QLinearConvOp(),

        // Fused (domain ai.prunus): made by the inference passes
        new FusedConvOp(),
        new FusedGemmOp(),
        new FusedMatMulOp(),
        new PrunusAliasOp(new GeluOp()),
        new PrunusAliasOp(new LayerNormalizationOp()),

        // Integer execution (domain ai.prunus): made by the quantization lowering
        new QLinearFusedConvOp(),
        new QLinearFusedGemmOp(),
    ];
}
