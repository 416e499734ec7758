using System.Text.Json;
using System.Text.Json.Nodes;
using Prunus.IO;

namespace Prunus.Pruning.Sensitivity;

/// <summary>Accuracy of the model with one layer pruned to <paramref name="Sparsity"/> and every other layer intact.</summary>
public readonly record struct SensitivityPoint(double Sparsity, double Accuracy);

/// <summary>How one layer's pruning affects accuracy.</summary>
/// <param name="Layer">Node name.</param>
/// <param name="Weight">Weight (initializer) name.</param>
/// <param name="Params">Weights in the layer.</param>
/// <param name="Flops">FLOPs of the layer per image.</param>
/// <param name="Points">Accuracy at each analysed sparsity, ascending.</param>
public sealed record LayerSensitivity(string Layer, string Weight, long Params, long Flops, IReadOnlyList<SensitivityPoint> Points);

/// <summary>
/// The result of a sensitivity analysis: per layer, validation accuracy against sparsity. Saved as JSON by
/// <see cref="Save"/>; <see cref="SensitivityAllocation"/> turns it into per-layer sparsities for a global target.
/// </summary>
public sealed record SensitivityReport(string Model, string Criterion, string Granularity, int ValidationImages,
    double BaselineAccuracy, IReadOnlyList<LayerSensitivity> Layers)
{
    /// <summary>Format version written into the JSON.</summary>
    public const int FormatVersion = 1;

    /// <summary>The report as JSON (optionally with an allocation to reuse as explicit per-layer ratios).</summary>
    public JsonObject ToJson(Allocation? allocation = null)
    {
        var o = new JsonObject
        {
            ["format"] = "prunus-sensitivity",
            ["version"] = FormatVersion,
            ["model"] = Model,
            ["criterion"] = Criterion,
            ["granularity"] = Granularity,
            ["validation_images"] = ValidationImages,
            ["baseline_accuracy"] = BaselineAccuracy,
            ["layers"] = new JsonArray(Layers.Select(l => (JsonNode)new JsonObject
            {
                ["layer"] = l.Layer,
                ["weight"] = l.Weight,
                ["params"] = l.Params,
                ["flops"] = l.Flops,
                ["points"] = new JsonArray(l.Points.Select(p => (JsonNode)new JsonObject { ["sparsity"] = p.Sparsity, ["accuracy"] = p.Accuracy }).ToArray()),
            }).ToArray()),
        };
        if (allocation is not null) o["allocation"] = allocation.ToJson();
        return o;
    }

    /// <summary>Writes the JSON atomically.</summary>
    public void Save(string path, Allocation? allocation = null) =>
        AtomicFile.Write(path, stream => JsonSerializer.Serialize(stream, ToJson(allocation), new JsonSerializerOptions { WriteIndented = true }));

    /// <summary>Reads a report written by <see cref="Save"/>; throws <see cref="DataException"/> naming the file and what is wrong.</summary>
    public static SensitivityReport Load(string path)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(path)); }
        catch (JsonException e) { throw new DataException($"{path}: not a JSON file ({e.Message})", e); }
        try
        {
            if ((string?)root?["format"] != "prunus-sensitivity") throw new DataException("it is not a Prunus sensitivity report (no \"format\": \"prunus-sensitivity\")");
            if ((int?)root["version"] != FormatVersion) throw new DataException($"report version {root["version"]} is not supported (expected {FormatVersion})");
            var layers = root["layers"]!.AsArray().Select(l => new LayerSensitivity(
                (string)l!["layer"]!, (string)l["weight"]!, (long)l["params"]!, (long)l["flops"]!,
                l["points"]!.AsArray().Select(p => new SensitivityPoint((double)p!["sparsity"]!, (double)p["accuracy"]!)).OrderBy(p => p.Sparsity).ToList())).ToList();
            foreach (var l in layers)
                if (l.Points.Any(p => p.Sparsity is < 0 or >= 1 || p.Accuracy is < 0 or > 1))
                    throw new DataException($"layer '{l.Layer}' has a point outside sparsity [0, 1) or accuracy [0, 1]");
            return new SensitivityReport((string)root["model"]!, (string)root["criterion"]!, (string)root["granularity"]!,
                (int)root["validation_images"]!, (double)root["baseline_accuracy"]!, layers);
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException or ArgumentException)
        {
            throw new DataException($"{path}: a field is missing or of the wrong type ({e.Message})", e);
        }
        catch (DataException e) when (!e.Message.StartsWith(path, StringComparison.Ordinal))
        {
            throw new DataException($"{path}: {e.Message}", e);
        }
    }
}
