using Prunus.Data;
using Prunus.Graph;

namespace Prunus.Training;

/// <summary>The shape of a batch of images as the model's first input expects it.</summary>
internal static class BatchShape
{
    /// <summary>
    /// [count, C, H, W], or [count, C*H*W] when the model's first input is declared with rank 2 (a model that takes
    /// flattened images, as many exported MLPs do).
    /// </summary>
    public static int[] For(ModelGraph graph, ImageDataset data, int count)
    {
        var input = graph.DataInputs.FirstOrDefault() ?? throw new ModelException($"model '{graph.Name}' has no data input");
        return input.Dims is { Length: 2 } ? [count, data.ImageSize] : [count, .. data.SampleShape];
    }
}
