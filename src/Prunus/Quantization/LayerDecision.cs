namespace Prunus.Quantization;

/// <summary>What a quantizer decided for one layer, for reports.</summary>
/// <param name="Name">Layer (node) name.</param>
/// <param name="OpType">Conv, Gemm or MatMul.</param>
/// <param name="Weights">Number of weights.</param>
/// <param name="Quantized">Whether the layer was quantized (false: kept in float).</param>
/// <param name="Reason">Why it was kept in float, or how it was quantized.</param>
/// <param name="SoloLoss">Accuracy points lost with this layer quantized alone, when measured.</param>
public sealed record LayerDecision(string Name, string OpType, long Weights, bool Quantized, string Reason, double? SoloLoss = null);
