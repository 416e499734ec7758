using Prunus.Graph;
using Prunus.Tensors;
using Prunus.Training;

namespace Prunus.Pruning;

/// <summary>
/// Masks over a graph's weights (1 keeps, 0 prunes), keyed by initializer name, with the original weights kept until
/// <see cref="MakePermanent"/>: <see cref="Apply"/> zeroes the pruned entries in the graph, <see cref="Restore"/> puts
/// the originals back (to try another mask), and <see cref="AttachTo"/> holds the masks fixed through training.
/// </summary>
public sealed class PruningMasks
{
    private readonly Dictionary<string, Tensor> _masks = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Tensor> _originals = new(StringComparer.Ordinal);

    /// <summary>The graph the masks belong to.</summary>
    public ModelGraph Graph { get; }

    /// <summary>Masks by weight name.</summary>
    public IReadOnlyDictionary<string, Tensor> Masks => _masks;

    /// <summary>Empty masks over <paramref name="graph"/>.</summary>
    public PruningMasks(ModelGraph graph) => Graph = graph ?? throw new ArgumentNullException(nameof(graph));

    /// <summary>Sets (or replaces) the mask of weight <paramref name="weightName"/>; it is not applied until <see cref="Apply"/>.</summary>
    public void Set(string weightName, Tensor mask)
    {
        if (!Graph.Initializers.TryGetValue(weightName, out var w)) throw new ArgumentException($"'{weightName}' is not a weight of the model");
        if (mask.Type != DataType.Float32 || !ShapeMath.SameShape(mask.Shape, w.Shape))
            throw new ArgumentException($"the mask of '{weightName}' must be Float32{ShapeMath.Format(w.Shape)}, got {mask}");
        _masks[weightName] = mask;
    }

    /// <summary>Whether the originals are still held (nothing made permanent yet).</summary>
    public bool HasOriginals => _originals.Count > 0;

    /// <summary>
    /// Zeroes every masked entry in the graph's weights. The first time a weight is masked its values are saved, so
    /// that <see cref="Restore"/> can undo all masking.
    /// </summary>
    public void Apply()
    {
        foreach (var (name, mask) in _masks)
        {
            var w = Graph.Initializers[name];
            if (!_originals.ContainsKey(name)) _originals[name] = w.Clone();
            Parameter.ApplyMask(w.Floats, mask.Floats);
        }
    }

    /// <summary>Puts the saved original values back into the graph (the masks are kept).</summary>
    public void Restore()
    {
        foreach (var (name, original) in _originals) Graph.Initializers[name].CopyFrom(original);
    }

    /// <summary>Forgets the originals: the zeros in the graph are now simply its weights.</summary>
    public void MakePermanent() => _originals.Clear();

    /// <summary>Sets each mask on the trainer's parameter of the same name, so training keeps pruned weights at zero.</summary>
    public void AttachTo(Trainer trainer)
    {
        foreach (var (name, mask) in _masks) trainer.Parameter(name).Mask = mask;
    }

    /// <summary>Entries masked (zero in a mask) over entries masked or not, across all masks.</summary>
    public double Sparsity()
    {
        long zeros = 0, total = 0;
        foreach (var m in _masks.Values)
        {
            foreach (var v in m.Floats) if (v == 0) zeros++;
            total += m.Length;
        }
        return total == 0 ? 0 : (double)zeros / total;
    }
}
