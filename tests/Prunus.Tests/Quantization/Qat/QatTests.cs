using Prunus.Graph;
using Prunus.Graph.Ops;
using Prunus.Graph.Planning;
using Prunus.Pruning;
using Prunus.Quantization;
using Prunus.Quantization.Qat;
using Prunus.Tensors;
using Prunus.Tests.Support;
using Prunus.Training;
using Xunit.Abstractions;

namespace Prunus.Tests.Quantization.Qat;

public sealed class QatTests(ITestOutputHelper output)
{
    private static QatOptions Options(bool lsq = false, QuantizedType weights = QuantizedType.Int8) => new()
    {
        LearnedScales = lsq,
        Weights = new QuantizationSpec(weights, true, ScaleGranularity.PerChannel),
        CalibrationImages = new CalibrationOptions { Images = 128, BatchSize = 64, Pool = TestPools.Two },
    };

    private static IEnumerable<Node> FakeQuantizers(ModelGraph g) => g.Nodes.Where(n => n.OpType == "FakeQuantize" && n.Domain == PrunusDomain.Name);

    [Fact]
    public void Preparation_folds_batchnorm_and_puts_fake_quantizers_where_static_quantization_puts_qdq()
    {
        var data = QatFixtures.Data(64, 1);
        var g = QatFixtures.Model();
        var qat = QatPreparation.Prepare(g, data, Options());
        Assert.DoesNotContain(qat.Nodes, n => n.OpType == "BatchNormalization");
        Assert.Contains(g.Nodes, n => n.OpType == "BatchNormalization"); // the input is untouched
        var fq = FakeQuantizers(qat).ToList();
        // Weights of conv1, conv2, fc; activations: the image, conv1 after Relu, the pooled map (sharing conv1's
        // parameters), conv2 after Relu, its flattened form (sharing conv2's), the logits.
        Assert.Equal(3, fq.Count(n => qat.Initializers.ContainsKey(n.Inputs[0])));
        var activations = fq.Where(n => !qat.Initializers.ContainsKey(n.Inputs[0])).ToList();
        Assert.Equal(6, activations.Count);
        Assert.Equal(4, activations.Select(n => n.Inputs[1]).Distinct().Count());
        var pool = qat.Nodes.Single(n => n.OpType == "MaxPool");
        var afterPool = activations.Single(n => n.Inputs[0] == pool.Outputs[0]);
        var beforePool = activations.Single(n => n.Outputs[0] == pool.Inputs[0]);
        Assert.Equal(beforePool.Inputs[1], afterPool.Inputs[1]);
        Assert.Equal(beforePool.Inputs[2], afterPool.Inputs[2]);
        // The graph output keeps its name and is the quantized logits.
        Assert.Equal("logits", activations.Last().Outputs[0]);
        Assert.Equal(["logits"], qat.Outputs.Select(o => o.Name));
        // Without LSQ only the float weights and biases train; with it, every scale too.
        var trainable = Trainability.TrainableInitializers(qat);
        Assert.DoesNotContain(trainable, n => n.EndsWith("_scale", StringComparison.Ordinal) || n.EndsWith("_zero_point", StringComparison.Ordinal));
        var lsq = QatPreparation.Prepare(g, data, Options(lsq: true));
        Assert.Equal(4 + 3, Trainability.TrainableInitializers(lsq).Count(n => n.EndsWith("_scale", StringComparison.Ordinal)));
        Assert.All(FakeQuantizers(lsq), n => Assert.True(n.Attributes["grad_scale"].Float > 0));
    }

    [Fact]
    public void Prepared_model_stays_close_to_the_float_model_at_int8()
    {
        var data = QatFixtures.Data(256, 2);
        var g = QatFixtures.Trained(data, epochs: 2);
        var qat = QatPreparation.Prepare(g, data, Options());
        var x = Tensor.Zeros(64, 1, 8, 8);
        data.FillBatch(Enumerable.Range(0, 64).ToArray(), 0, 64, x, new int[64]);
        var y = Run(g, x);
        var yq = Run(qat, x);
        double scale = y.Floats.ToArray().Max(MathF.Abs), worst = 0;
        for (int i = 0; i < y.Length; i++) worst = Math.Max(worst, Math.Abs(y.Floats[i] - yq.Floats[i]));
        output.WriteLine($"largest logit difference {worst:G3} of {scale:G3}");
        Assert.True(worst < 0.05 * scale, $"int8 fake quantization moved a logit by {worst} (logits up to {scale})");
        Assert.True(worst > 0, "the fake quantizers changed nothing");
    }

    [Theory]
    [InlineData(QuantizedType.Int8, false)]
    [InlineData(QuantizedType.Int4, false)]
    [InlineData(QuantizedType.Int4, true)]
    public void A_few_steps_of_qat_keep_or_improve_on_post_training_quantization(QuantizedType weights, bool lsq)
    {
        var train = QatFixtures.Data(512, 3);
        var test = QatFixtures.Data(512, 4);
        var g = QatFixtures.Trained(train);
        var qat = QatPreparation.Prepare(g, train, Options(lsq, weights));
        double floatAccuracy = QatFixtures.Accuracy(g, test), ptq = QatFixtures.Accuracy(qat, test);
        var scalesBefore = qat.Initializers.Where(kv => kv.Key.EndsWith("_scale", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value.Clone());
        using (var trainer = new Trainer(qat, train, new TrainerOptions { Epochs = 1, BatchSize = 32, LearningRate = 0.01, Seed = 9, Pool = TestPools.Two }))
        {
            var result = trainer.Run();
            Assert.True(double.IsFinite(trainer.LastLoss));
            Assert.Equal(16, result.GlobalStep);
        }
        double after = QatFixtures.Accuracy(qat, test);
        output.WriteLine($"{weights} lsq={lsq}: float {floatAccuracy:P1}, post-training {ptq:P1}, after QAT {after:P1}");
        Assert.True(after >= ptq - 0.005, $"QAT lost accuracy: {ptq:P1} -> {after:P1}");
        bool moved = scalesBefore.Any(kv => !kv.Value.Floats.SequenceEqual(qat.Initializers[kv.Key].Floats));
        Assert.Equal(lsq, moved);
    }

    [Fact]
    public void Export_emits_the_static_quantization_format()
    {
        var data = QatFixtures.Data(128, 5);
        var g = QatFixtures.Trained(data, epochs: 1);
        var qat = QatPreparation.Prepare(g, data, Options(lsq: true));
        var q = QatExport.ToQdq(qat);
        Assert.DoesNotContain(q.Nodes, n => n.Domain == PrunusDomain.Name);
        Assert.False(q.Metadata.Opsets.ContainsKey(PrunusDomain.Name));
        Assert.Equal(g.Metadata.Opset, q.Metadata.Opset);
        foreach (var layer in q.Nodes.Where(n => n.OpType is "Conv" or "Gemm"))
        {
            var x = q.Producer(layer.Inputs[0])!;
            Assert.Equal("DequantizeLinear", x.OpType);
            Assert.Equal("QuantizeLinear", q.Producer(x.Inputs[0])!.OpType);
            Assert.Equal(DataType.UInt8, q.Initializers[x.Inputs[2]].Type);
            Assert.Equal(0, q.Initializers[x.Inputs[1]].Rank);
            var w = q.Producer(layer.Inputs[1])!;
            Assert.Equal("DequantizeLinear", w.OpType);
            Assert.Equal(DataType.Int8, q.Initializers[w.Inputs[0]].Type);
            Assert.Equal(1, q.Initializers[w.Inputs[1]].Rank);
            Assert.Equal(0, w.Attributes["axis"].Int);
            Assert.All(q.Initializers[w.Inputs[0]].Span<sbyte>().ToArray(), v => Assert.InRange(v, -127, 127));
            var b = q.Producer(layer.Inputs[2])!;
            Assert.Equal("DequantizeLinear", b.OpType);
            Assert.Equal(DataType.Int32, q.Initializers[b.Inputs[0]].Type);
            // Bias scale = input scale x weight scale, per channel.
            var sx = q.Initializers[x.Inputs[1]].Floats[0];
            var sw = q.Initializers[w.Inputs[1]].Floats.ToArray();
            Assert.Equal(sw.Select(s => sx * s), q.Initializers[b.Inputs[1]].Floats.ToArray());
        }
        Assert.Contains(q.Nodes, n => n.OpType == "QuantizeLinear" && q.Producer(n.Inputs[0])?.OpType == "MaxPool");
        Assert.Equal("DequantizeLinear", q.Producer("logits")!.OpType);
    }

    [Fact]
    public void Reduced_range_weights_keep_to_seven_bits()
    {
        var data = QatFixtures.Data(64, 6);
        var qat = QatPreparation.Prepare(QatFixtures.Trained(data, epochs: 1), data, Options() with { Weights = QuantizationSpec.DefaultWeights with { ReduceRange = true } });
        Assert.All(FakeQuantizers(qat).Where(n => qat.Initializers.ContainsKey(n.Inputs[0])), n =>
        {
            Assert.Equal(-64, n.Attributes["qmin"].Int);
            Assert.Equal(64, n.Attributes["qmax"].Int);
        });
        var q = QatExport.ToQdq(qat);
        var weights = q.Nodes.Where(n => n.OpType == "DequantizeLinear" && q.Initializers.GetValueOrDefault(n.Inputs[0])?.Type == DataType.Int8).ToList();
        Assert.Equal(3, weights.Count);
        foreach (var dq in weights)
        {
            var v = q.Initializers[dq.Inputs[0]].Span<sbyte>().ToArray();
            Assert.All(v, x => Assert.InRange(x, -64, 64));
            Assert.Contains(v, x => Math.Abs(x) == 64);
        }
    }

    [Fact]
    public void Bad_requests_get_clear_errors()
    {
        var data = QatFixtures.Data(16, 1);
        var e = Assert.Throws<ArgumentException>(() => QatPreparation.Prepare(QatFixtures.Model(), data, Options() with { Ignore = ["conv1", "conv2", "fc"] }));
        Assert.Contains("nothing to quantize", e.Message);
        e = Assert.Throws<ArgumentException>(() => QatPreparation.Prepare(QatFixtures.Model(), data, Options() with { Activations = new QuantizationSpec(QuantizedType.UInt4, false) }));
        Assert.Contains("8 bits", e.Message);
        var empty = new Prunus.Data.ImageDataset([], [], 1, 8, 8, 3);
        Assert.Throws<DataException>(() => QatPreparation.Prepare(QatFixtures.Model(), empty, Options()));
        var other = new Prunus.Data.ImageDataset(new byte[16 * 25], new int[16], 1, 5, 5, 3);
        Assert.Contains("shape", Assert.ThrowsAny<Exception>(() => QatPreparation.Prepare(QatFixtures.Model(), other, Options())).Message);
    }

    internal static Tensor Run(ModelGraph g, Tensor x) =>
        new InferenceSession(g, new PlanOptions { Pool = TestPools.Two }).Run(new Dictionary<string, Tensor> { [g.Inputs[0].Name] = x })["logits"];
}
