namespace Prunus.Graph.Ops;

public static partial class OpRegistry
{
    // Every operator, one line each. Grouped by the file folders under Graph/Ops.
    private static IEnumerable<Operator> All() =>
    [
        // Activations
        new ReluOp(),
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
    ];
}
