namespace Prunus.Graph.Passes;

/// <summary>
/// One rewrite of a model graph that leaves its outputs unchanged up to float rounding, for any input. Passes edit
/// the graph in place and keep the names of graph inputs and outputs; run them through a <see cref="PassPipeline"/>.
/// </summary>
public interface IGraphPass
{
    /// <summary>A short name for reports, e.g. "constant-folding".</summary>
    string Name { get; }

    /// <summary>
    /// Whether the graph stays standard ONNX after this pass. Passes that fuse into Prunus's internal ops (domain
    /// ai.prunus) are not export-safe: <see cref="PassPipeline.ForExport"/> leaves them out.
    /// </summary>
    bool ExportSafe { get; }

    /// <summary>Rewrites <paramref name="graph"/> in place; returns how many rewrites it made (0: the graph is unchanged).</summary>
    int Apply(ModelGraph graph);
}
