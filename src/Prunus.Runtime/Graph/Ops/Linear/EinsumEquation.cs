using Prunus.Tensors;

namespace Prunus.Graph.Ops;

/// <summary>
/// An Einsum equation resolved against concrete input shapes: every label (a letter, or one dimension of the ellipsis)
/// gets an id and an extent, every operand and the output a list of label ids per axis. Ellipsis dimensions line up
/// from the right across operands; a label of extent 1 in one operand broadcasts against a larger one elsewhere.
/// Without "->" the output is the ellipsis dimensions, then the letters used once, in alphabetical order.
/// </summary>
internal sealed class EinsumEquation
{
    /// <summary>Per operand, the label id of each axis (a label repeats for a diagonal).</summary>
    public int[][] Operands { get; }
    /// <summary>The label id of each output axis.</summary>
    public int[] Output { get; }
    /// <summary>Extent of each label id.</summary>
    public int[] Extents { get; }
    /// <summary>Printable name of each label id (a letter, or "...k" for ellipsis dimension k).</summary>
    public string[] Names { get; }

    private EinsumEquation(int[][] operands, int[] output, int[] extents, string[] names)
    {
        Operands = operands;
        Output = output;
        Extents = extents;
        Names = names;
    }

    // Token of an ellipsis in a parsed term.
    private const char Ellipsis = '.';

    /// <summary>Parses <paramref name="equation"/> for operands of the given shapes; throws ArgumentException saying what is wrong.</summary>
    public static EinsumEquation Parse(string equation, int[][] shapes)
    {
        var eq = string.Concat(equation.Where(c => !char.IsWhiteSpace(c)));
        var sides = eq.Split("->");
        if (sides.Length > 2) throw new ArgumentException($"equation '{equation}' has more than one '->'");
        var terms = sides[0].Split(',');
        if (terms.Length != shapes.Length)
            throw new ArgumentException($"equation '{equation}' names {terms.Length} operands but the node has {shapes.Length} inputs");
        var parsed = terms.Select(t => Tokens(t, equation)).ToArray();

        // Ellipsis ranks, right-aligned to the widest.
        var ellipsisRanks = new int[terms.Length];
        for (int i = 0; i < terms.Length; i++)
        {
            int letters = parsed[i].Count(c => c != Ellipsis);
            bool hasEllipsis = parsed[i].Contains(Ellipsis);
            int rest = shapes[i].Length - letters;
            if (rest < 0 || !hasEllipsis && rest != 0)
                throw new ArgumentException($"term '{terms[i]}' has {letters} labels{(hasEllipsis ? " and '...'" : "")} but input {i} has rank {shapes[i].Length}");
            ellipsisRanks[i] = rest;
        }
        int ellipsis = ellipsisRanks.Length == 0 ? 0 : ellipsisRanks.Max();

        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        int Id(string key) => ids.TryGetValue(key, out var v) ? v : ids[key] = ids.Count;
        for (int k = 0; k < ellipsis; k++) Id("..." + k);
        var operands = new int[terms.Length][];
        for (int i = 0; i < terms.Length; i++)
        {
            var axes = new List<int>();
            foreach (var c in parsed[i])
            {
                if (c != Ellipsis) { axes.Add(Id(c.ToString())); continue; }
                for (int k = ellipsis - ellipsisRanks[i]; k < ellipsis; k++) axes.Add(Id("..." + k));
            }
            operands[i] = axes.ToArray();
        }

        int[] output;
        if (sides.Length == 2)
        {
            var tokens = Tokens(sides[1], equation);
            var axes = new List<int>();
            foreach (var c in tokens)
            {
                if (c == Ellipsis) { for (int k = 0; k < ellipsis; k++) axes.Add(Id("..." + k)); continue; }
                if (!ids.ContainsKey(c.ToString())) throw new ArgumentException($"output label '{c}' of '{equation}' appears in no input");
                axes.Add(ids[c.ToString()]);
            }
            output = axes.ToArray();
            if (output.Distinct().Count() != output.Length) throw new ArgumentException($"the output of '{equation}' repeats a label");
        }
        else
        {
            // Implicit output: the ellipsis, then the letters that occur exactly once, sorted.
            var counts = parsed.SelectMany(t => t).Where(c => c != Ellipsis).GroupBy(c => c).Where(g => g.Count() == 1).Select(g => g.Key)
                .Order().ToArray();
            output = Enumerable.Range(0, ellipsis).Concat(counts.Select(c => ids[c.ToString()])).ToArray();
        }

        var names = new string[ids.Count];
        foreach (var (key, id) in ids) names[id] = key;
        var extents = new int[ids.Count];
        Array.Fill(extents, 1);
        for (int i = 0; i < operands.Length; i++)
            for (int a = 0; a < operands[i].Length; a++)
            {
                int id = operands[i][a], d = shapes[i][a];
                if (d == extents[id] || d == 1) continue;
                if (extents[id] != 1) throw new ArgumentException($"label '{names[id]}' has sizes {extents[id]} and {d}, which do not broadcast");
                extents[id] = d;
            }
        // A label repeated within one operand (a diagonal) must have one size there.
        for (int i = 0; i < operands.Length; i++)
            for (int a = 0; a < operands[i].Length; a++)
                for (int b = a + 1; b < operands[i].Length; b++)
                    if (operands[i][a] == operands[i][b] && shapes[i][a] != shapes[i][b])
                        throw new ArgumentException($"label '{names[operands[i][a]]}' repeats in input {i} with sizes {shapes[i][a]} and {shapes[i][b]}");
        return new EinsumEquation(operands, output, extents, names);
    }

    // Letters of a term, with '...' as one Ellipsis token.
    private static List<char> Tokens(string term, string equation)
    {
        var r = new List<char>();
        for (int i = 0; i < term.Length; i++)
        {
            char c = term[i];
            if (c == '.')
            {
                if (i + 2 >= term.Length || term[i + 1] != '.' || term[i + 2] != '.' || r.Contains(Ellipsis))
                    throw new ArgumentException($"term '{term}' of '{equation}' has a '.' that is not one '...'");
                r.Add(Ellipsis);
                i += 2;
                continue;
            }
            if (!char.IsAsciiLetter(c)) throw new ArgumentException($"'{c}' in '{equation}' is not a label (labels are letters a-z, A-Z)");
            r.Add(c);
        }
        return r;
    }

    /// <summary>
    /// A walk over operand <paramref name="operand"/> visiting its elements in the order of <paramref name="labels"/>
    /// (each of the operand's distinct labels once): the stride of a label sums the strides of its axes (a diagonal)
    /// and is 0 where the operand broadcasts it. Coalesced.
    /// </summary>
    public (int[] Shape, int[] Strides) Walk(int operand, int[] shape, IReadOnlyList<int> labels)
    {
        var axes = Operands[operand];
        var strides = ShapeMath.Strides(shape);
        var walkShape = labels.Select(l => Extents[l]).ToArray();
        var walkStrides = new int[labels.Count];
        for (int j = 0; j < labels.Count; j++)
            for (int a = 0; a < axes.Length; a++)
                if (axes[a] == labels[j] && shape[a] != 1) walkStrides[j] += strides[a];
        return Kernels.DataMovement.Coalesce(walkShape, walkStrides);
    }

    /// <summary>Whether a coalesced walk visits a contiguous tensor in storage order (so no copy is needed).</summary>
    public static bool IsIdentity((int[] Shape, int[] Strides) walk) =>
        walk.Shape.Length == 0 || walk.Shape.Length == 1 && (walk.Strides[0] == 1 || walk.Shape[0] == 0);

    /// <summary>Product of the extents of <paramref name="labels"/>.</summary>
    public int Size(IEnumerable<int> labels) => checked(labels.Aggregate(1, (p, l) => p * Extents[l]));
}
