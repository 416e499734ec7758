namespace Prunus.Tests.Conformance;

/// <summary>
/// Backend cases whose ops are all registered but which Prunus does not (yet) pass, each with the reason. The
/// conformance test fails on any other failure, and on an entry here that no longer fails. Keep this list short:
/// fix the op instead where that is practical.
/// </summary>
public static class KnownFailures
{
    // The expected outputs were drawn with NumPy's random generator (seed 0); Prunus's dropout mask comes from its own
    // stream, so the same keep probability gives other positions. The statistics are tested in DropoutTests.
    private const string DropoutMask = "training-mode dropout: the expected mask comes from NumPy's random generator, which Prunus's random stream does not reproduce";

    // Conv, ConvTranspose and the pools take 1-D and 2-D windows: their kernels (im2col, pooling rows) are 2-D.
    private const string ThreeD = "3-D windows ([N,C,D,H,W]) are not implemented: Conv, ConvTranspose and the pools take 1-D and 2-D windows";

    /// <summary>Case id ("folder/name") to the reason it fails.</summary>
    public static readonly IReadOnlyDictionary<string, string> Cases = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["node/test_training_dropout"] = DropoutMask,
        ["node/test_training_dropout_default"] = DropoutMask,
        ["node/test_training_dropout_default_mask"] = DropoutMask,
        ["node/test_training_dropout_mask"] = DropoutMask,
        ["node/test_averagepool_3d_default"] = ThreeD,
        ["node/test_convtranspose_3d"] = ThreeD,
        ["node/test_maxpool_3d_default"] = ThreeD,
        ["pytorch-converted/test_AvgPool3d"] = ThreeD,
        ["pytorch-converted/test_AvgPool3d_stride"] = ThreeD,
        ["pytorch-converted/test_AvgPool3d_stride1_pad0_gpu_input"] = ThreeD,
        ["pytorch-converted/test_Conv3d"] = ThreeD,
        ["pytorch-converted/test_Conv3d_dilated"] = ThreeD,
        ["pytorch-converted/test_Conv3d_dilated_strided"] = ThreeD,
        ["pytorch-converted/test_Conv3d_groups"] = ThreeD,
        ["pytorch-converted/test_Conv3d_no_bias"] = ThreeD,
        ["pytorch-converted/test_Conv3d_stride"] = ThreeD,
        ["pytorch-converted/test_Conv3d_stride_padding"] = ThreeD,
        ["pytorch-converted/test_MaxPool3d"] = ThreeD,
        ["pytorch-converted/test_MaxPool3d_stride"] = ThreeD,
        ["pytorch-converted/test_MaxPool3d_stride_padding"] = ThreeD,
    };
}
