using System.Collections.Immutable;
using System.Globalization;

namespace DeepGraph.Core;

/// <summary>
/// Keras's <c>model.summary()</c> (the TF 2.x layout) as a pure function returning lines.
/// </summary>
public static class Summary
{
    /// <summary>
    /// Keras's test for the short layout: a Sequential model, or one where every depth of the
    /// graph holds one node with at most one inbound tensor and no layer is called twice.
    /// </summary>
    public static bool IsSequentialLike(Model model)
    {
        if (model.IsSequential) return true;
        var graph = model.Graph;
        foreach (var (_, nodes) in model.Topology.NodesByDepth)
            if (nodes.Length > 1 || graph.Nodes[nodes[0]].Inputs.Count > 1) return false;
        return graph.Nodes.GroupBy(n => n.Layer).All(g => g.Count() == 1);
    }

    /// <summary>
    /// The summary's lines. Sequential-like models get 65 columns ending at 29 / 55 / 65
    /// (<c>Layer (type)</c>, <c>Output Shape</c>, <c>Param #</c>); others 98 columns ending at
    /// 32 / 53 / 65 / 98 with <c>Connected to</c>. <paramref name="lineLength"/> and
    /// <paramref name="positions"/> (fractions ≤ 1 of the line, or absolute column ends) override them, as in Keras.
    /// <paramref name="nodeIndex"/> numbers a node among its layer's calls for the <c>Connected to</c>
    /// column; by default <see cref="Model.NodeIndex"/> (within this model). Keras numbers calls per
    /// process, so a caller that knows a layer's earlier calls (the facade) passes that numbering.
    /// </summary>
    public static ImmutableArray<string> Lines(Model model, int? lineLength = null, IReadOnlyList<double>? positions = null, Func<int, int>? nodeIndex = null)
    {
        nodeIndex ??= model.NodeIndex;
        bool sequentialLike = IsSequentialLike(model);
        int length = lineLength ?? (sequentialLike ? 65 : 98);
        var fractions = positions ?? (sequentialLike ? [0.45, 0.85, 1.0] : [0.33, 0.55, 0.67, 1.0]);
        int[] ends = fractions[^1] <= 1 ? [.. fractions.Select(p => (int)(length * p))] : [.. fractions.Select(p => (int)p)];
        string[] header = sequentialLike ? ["Layer (type)", "Output Shape", "Param #"] : ["Layer (type)", "Output Shape", "Param #", "Connected to"];

        var lines = ImmutableArray.CreateBuilder<string>();
        lines.Add($"Model: \"{model.Name}\"");
        lines.Add(new string('_', length));
        lines.Add(Row(header, ends));
        lines.Add(new string('=', length));

        var graph = model.Graph;
        var layers = model.Layers;
        for (int i = 0; i < layers.Count; i++)
        {
            var layer = layers[i];
            var nodes = graph.Nodes.Where(n => n.Layer == layer.Id).ToList();
            var shapes = nodes.Select(n => OutputShapeText(layer, n)).Distinct().ToList();
            string shape = shapes.Count == 1 ? shapes[0] : "multiple";
            string name = $"{layer.Name} ({layer.ClassName})";
            string parameters = layer.ParamCount.ToString(CultureInfo.InvariantCulture);
            if (sequentialLike)
            {
                lines.Add(Row([name, shape, parameters], ends));
            }
            else
            {
                var connections = nodes.SelectMany(n => n.Inputs)
                    .Select(t => $"{graph.LayerOf(t).Name}[{nodeIndex(t.Node)}][{t.Index}]").ToList();
                lines.Add(Row([name, shape, parameters, connections.FirstOrDefault() ?? ""], ends));
                foreach (var c in connections.Skip(1)) lines.Add(Row(["", "", "", c], ends));
            }
            lines.Add(new string(i == layers.Count - 1 ? '=' : '_', length));
        }

        long trainable = model.Weights.Where(w => w.Trainable).Sum(w => (long)w.Value.Length);
        long total = model.Weights.Sum(w => (long)w.Value.Length);
        lines.Add($"Total params: {Thousands(total)}");
        lines.Add($"Trainable params: {Thousands(trainable)}");
        lines.Add($"Non-trainable params: {Thousands(total - trainable)}");
        lines.Add(new string('_', length));
        return lines.ToImmutable();
    }

    /// <summary>
    /// One table row, Keras's way: each field is appended, cut to its column end and padded to
    /// it; a field after the first first overwrites the previous field's last character with a space.
    /// </summary>
    public static string Row(IReadOnlyList<string> fields, IReadOnlyList<int> ends)
    {
        var line = "";
        for (int i = 0; i < fields.Count; i++)
        {
            if (i > 0) line = (line.Length > 0 ? line[..^1] : line) + " ";
            line += fields[i];
            if (line.Length > ends[i]) line = line[..ends[i]];
            line = line.PadRight(ends[i]);
        }
        return line;
    }

    /// <summary>A node's output shapes as Keras prints them: an input layer's and a multi-output call's as a list.</summary>
    private static string OutputShapeText(Layer layer, Node node) =>
        layer is InputLayer || node.OutputShapes.Count > 1 ? "[" + string.Join(", ", node.OutputShapes) + "]" : node.OutputShapes[0].ToString();

    private static string Thousands(long n) => n.ToString("#,0", CultureInfo.InvariantCulture);
}
