using System.Globalization;
using Prunus.Kernels;

namespace Prunus.Graph.Ops;

/// <summary>
/// Prunus's own op domain, "ai.prunus": fused inference ops made by the graph passes (FusedConv, FusedGemm,
/// FusedMatMul) and default-domain ops offered to models whose opset predates them (Gelu, LayerNormalization). Graphs
/// that use it run on Prunus but are not standard ONNX, so export pipelines do not create these ops.
/// </summary>
public static class PrunusDomain
{
    /// <summary>The domain name.</summary>
    public const string Name = "ai.prunus";

    /// <summary>Version of the domain's op set, written to a model's opset imports.</summary>
    public const long Version = 1;

    /// <summary>Attribute naming a fused op's activation: one of <see cref="ActivationKind"/>'s names (not None).</summary>
    public const string ActivationAttribute = "activation";

    /// <summary>
    /// Attribute with the activation's parameters: Clip [min, max], LeakyRelu [alpha], HardSigmoid [alpha, beta];
    /// absent for the others.
    /// </summary>
    public const string ActivationParamsAttribute = "activation_params";

    /// <summary>
    /// QLinearFusedConv attribute: <see cref="MaxPool2x2"/> when the output is the 2x2/stride-2 max pool of the
    /// quantized convolution output (the pool must tile the output planes: even height and width).
    /// </summary>
    public const string PoolingAttribute = "pooling";

    /// <summary>The only value of <see cref="PoolingAttribute"/>.</summary>
    public const string MaxPool2x2 = "max2x2";

    /// <summary>The fused activation a node names; none when it names none.</summary>
    internal static FusedActivation ReadActivation(NodeContext ctx)
    {
        if (!ctx.HasAttribute(ActivationAttribute)) return FusedActivation.None;
        string name = ctx.String(ActivationAttribute, "");
        var names = Enum.GetNames<ActivationKind>().Skip(1).ToArray();
        if (!names.Contains(name, StringComparer.Ordinal))
            throw ctx.Error($"activation \"{name}\" is not one of {string.Join(", ", names)}");
        var kind = Enum.Parse<ActivationKind>(name);
        var p = ctx.Floats(ActivationParamsAttribute) ?? [];
        int expected = kind switch { ActivationKind.Clip or ActivationKind.HardSigmoid => 2, ActivationKind.LeakyRelu => 1, _ => 0 };
        if (p.Length != expected)
            throw ctx.Error($"activation {name} takes {expected} parameter(s) in activation_params, got {p.Length}");
        return new FusedActivation(kind, expected > 0 ? p[0] : 0, expected > 1 ? p[1] : 0);
    }

    /// <summary>The attributes that name <paramref name="activation"/> on a fused node.</summary>
    public static IEnumerable<(string Name, AttributeValue Value)> ActivationAttributes(FusedActivation activation)
    {
        if (activation.IsNone) yield break;
        yield return (ActivationAttribute, AttributeValue.Of(activation.Kind.ToString()));
        float[] p = activation.Kind switch
        {
            ActivationKind.Clip or ActivationKind.HardSigmoid => [activation.Alpha, activation.Beta],
            ActivationKind.LeakyRelu => [activation.Alpha],
            _ => [],
        };
        if (p.Length > 0) yield return (ActivationParamsAttribute, AttributeValue.Of(p));
    }

    /// <summary>Fused ops have no gradient rule: they exist only in graphs optimized for inference.</summary>
    internal static void RejectTraining(NodeContext ctx)
    {
        if (ctx.Training)
            throw ctx.Error(string.Create(CultureInfo.InvariantCulture,
                $"is a fused inference op of domain {Name} and cannot train; train the graph before optimizing it for inference"));
    }
}
