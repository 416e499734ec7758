using Prunus.Graph;

namespace Prunus.Models;

/// <summary>Options of the zoo's configurable models.</summary>
public sealed record ZooOptions
{
    /// <summary>Seed of the initial weights.</summary>
    public ulong Seed { get; init; }
    /// <summary>ResNet depth (6n+2: 8, 14, 20, 32, ...).</summary>
    public int Depth { get; init; } = 20;
    /// <summary>Width multiplier (ResNet: base channels 16 x width; MobileNet: channel multiplier).</summary>
    public float Width { get; init; } = 1;
    /// <summary>MobileNet activation: "hardswish" or "relu6".</summary>
    public string Activation { get; init; } = "hardswish";
    /// <summary>Input channels, height and width.</summary>
    public int Channels { get; init; } = 1;
    public int Height { get; init; } = 28;
    public int ImageWidth { get; init; } = 28;
    /// <summary>Number of classes.</summary>
    public int Classes { get; init; } = 10;
}

/// <summary>
/// Built-in models for 1x28x28 images and 10 classes (by default), each a plain <see cref="ModelGraph"/> made with
/// <see cref="GraphBuilder"/>: input "input" [N,1,28,28], output "logits" [N,10].
/// </summary>
public static class ModelZoo
{
    /// <summary>The names <see cref="Create"/> accepts.</summary>
    public static readonly IReadOnlyList<string> Names = ["mlp", "lenet5", "resnet", "mobilenet"];

    /// <summary>Builds a model by name; throws with the list of names when unknown.</summary>
    public static ModelGraph Create(string name, ZooOptions? options = null)
    {
        options ??= new ZooOptions();
        return name.ToLowerInvariant() switch
        {
            "mlp" => Mlp(options),
            "lenet5" => LeNet5(options),
            "resnet" => ResNet(options),
            "mobilenet" => MobileNet(options),
            _ => throw new ArgumentException($"unknown model '{name}'; choose one of: {string.Join(", ", Names)}"),
        };
    }

    private static (GraphBuilder B, string X) Start(string name, ZooOptions o)
    {
        var b = new GraphBuilder(name, o.Seed);
        var x = b.Input("input", Dim.Sym("N"), o.Channels, o.Height, o.ImageWidth);
        return (b, x);
    }

    /// <summary>LeNet-300-100: 784-300-100-10 with ReLU.</summary>
    public static ModelGraph Mlp(ZooOptions o)
    {
        var (b, x) = Start("mlp", o);
        x = b.Flatten(x);
        x = b.Relu(b.Linear(x, 300, name: "fc1"));
        x = b.Relu(b.Linear(x, 100, name: "fc2"));
        b.Output(b.Linear(x, o.Classes, name: "fc3"), "logits");
        return b.Build();
    }

    /// <summary>Caffe LeNet-5 of the pruning literature: conv 20@5x5, maxpool 2, conv 50@5x5, maxpool 2, fc 500 + ReLU, fc 10.</summary>
    public static ModelGraph LeNet5(ZooOptions o)
    {
        var (b, x) = Start("lenet5", o);
        x = b.MaxPool(b.Conv(x, 20, 5, name: "conv1"), 2);
        x = b.MaxPool(b.Conv(x, 50, 5, name: "conv2"), 2);
        x = b.Relu(b.Linear(b.Flatten(x), 500, name: "fc1"));
        b.Output(b.Linear(x, o.Classes, name: "fc2"), "logits");
        return b.Build();
    }

    /// <summary>
    /// ResNet for small images (He et al., CIFAR variant): a 3x3 stem, three stages of (depth-2)/6 basic blocks with
    /// 16, 32, 64 channels (times width), stride 2 between stages with a 1x1 conv + BN projection on the shortcut,
    /// global average pooling, fc. Depth 20 has about 0.27M parameters.
    /// </summary>
    public static ModelGraph ResNet(ZooOptions o)
    {
        if (o.Depth < 8 || (o.Depth - 2) % 6 != 0)
            throw new ArgumentException($"resnet depth must be 6n+2 with n >= 1 (8, 14, 20, 32, ...), got {o.Depth}");
        int blocks = (o.Depth - 2) / 6;
        var (b, x) = Start("resnet", o);
        int width = Math.Max(1, (int)MathF.Round(16 * o.Width));
        x = b.Relu(b.BatchNorm(b.Conv(x, width, 3, pad: 1, bias: false, name: "stem.conv"), name: "stem.bn"));
        for (int stage = 0; stage < 3; stage++)
        {
            int channels = width << stage;
            for (int i = 0; i < blocks; i++)
            {
                int stride = stage > 0 && i == 0 ? 2 : 1;
                string p = $"stage{stage + 1}.block{i + 1}";
                var y = b.Relu(b.BatchNorm(b.Conv(x, channels, 3, stride, 1, bias: false, name: $"{p}.conv1"), name: $"{p}.bn1"));
                y = b.BatchNorm(b.Conv(y, channels, 3, 1, 1, bias: false, name: $"{p}.conv2"), name: $"{p}.bn2");
                var shortcut = stride != 1 || b.ShapeOf(x)[1] != channels
                    ? b.BatchNorm(b.Conv(x, channels, 1, stride, 0, bias: false, name: $"{p}.down.conv"), name: $"{p}.down.bn")
                    : x;
                x = b.Relu(b.Add(y, shortcut));
            }
        }
        x = b.Flatten(b.GlobalAveragePool(x));
        b.Output(b.Linear(x, o.Classes, name: "fc"), "logits");
        return b.Build();
    }

    /// <summary>
    /// A MobileNetV3-style network for small images: a 3x3 stem, inverted-residual blocks (1x1 expand, depthwise kxk,
    /// optional squeeze-excite, 1x1 project; residual when shapes allow), BN after every conv, HardSwish or ReLU6.
    /// </summary>
    public static ModelGraph MobileNet(ZooOptions o)
    {
        if (o.Activation is not ("hardswish" or "relu6"))
            throw new ArgumentException($"mobilenet activation must be hardswish or relu6, got '{o.Activation}'");
        var (b, x) = Start("mobilenet", o);
        string Act(string v) => o.Activation == "relu6" ? b.Relu6(v) : b.HardSwish(v);
        int C(int c) => Math.Max(8, (int)MathF.Round(c * o.Width / 8) * 8);

        x = Act(b.BatchNorm(b.Conv(x, C(16), 3, 1, 1, bias: false, name: "stem.conv"), name: "stem.bn"));
        // (expansion, output channels, kernel, stride, squeeze-excite): 28x28 -> 14x14 -> 7x7.
        (int Expand, int Out, int Kernel, int Stride, bool Se)[] blocks =
        [
            (1, 16, 3, 2, true),
            (4, 24, 3, 1, false),
            (3, 24, 3, 1, false),
            (3, 40, 5, 2, true),
            (3, 40, 5, 1, true),
            (3, 48, 5, 1, true),
        ];
        for (int i = 0; i < blocks.Length; i++)
        {
            var (e, outC, k, s, se) = blocks[i];
            string p = $"block{i + 1}";
            int inC = b.ShapeOf(x)[1];
            int mid = C(inC * e);
            var y = x;
            if (e != 1) y = Act(b.BatchNorm(b.Conv(y, mid, 1, bias: false, name: $"{p}.expand"), name: $"{p}.expand_bn"));
            else mid = inC;
            y = Act(b.BatchNorm(b.Conv(y, mid, k, s, k / 2, groups: mid, bias: false, name: $"{p}.dw"), name: $"{p}.dw_bn"));
            if (se) y = SqueezeExcite(b, y, mid, C(mid / 4), $"{p}.se");
            y = b.BatchNorm(b.Conv(y, C(outC), 1, bias: false, name: $"{p}.project"), name: $"{p}.project_bn");
            x = s == 1 && inC == C(outC) ? b.Add(x, y) : y;
        }
        x = Act(b.BatchNorm(b.Conv(x, C(96), 1, bias: false, name: "head.conv"), name: "head.bn"));
        x = b.Flatten(b.GlobalAveragePool(x));
        b.Output(b.Linear(x, o.Classes, name: "fc"), "logits");
        return b.Build();
    }

    /// <summary>Squeeze-excite: global pool, 1x1 reduce + ReLU, 1x1 expand + HardSigmoid, channel-wise scale.</summary>
    private static string SqueezeExcite(GraphBuilder b, string x, int channels, int reduced, string name)
    {
        var s = b.GlobalAveragePool(x);
        s = b.Relu(b.Conv(s, reduced, 1, name: $"{name}.reduce"));
        s = b.HardSigmoid(b.Conv(s, channels, 1, name: $"{name}.expand"));
        return b.Mul(x, s);
    }
}
