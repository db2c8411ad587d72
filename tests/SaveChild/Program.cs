using System.Globalization;
using DeepGraph;
using DeepGraph.Keras;

namespace DeepGraph.SaveChild;

/// <summary>
/// Saves generation after generation of <see cref="Generations.Build"/> to one path until it is killed:
/// <c>dotnet SaveChild.dll &lt;path&gt; &lt;first generation&gt;</c>. It prints <c>saving</c> once the first save is
/// done, so the test kills it inside its save loop rather than while it starts.
/// </summary>
public static class Program
{
    /// <summary>The entry point.</summary>
    public static int Main(string[] args)
    {
        if (args.Length != 2 || !int.TryParse(args[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out int generation))
        {
            Console.Error.WriteLine("usage: SaveChild <path.json> <first generation>");
            return 2;
        }
        Model[] models = [Generations.Build(0), Generations.Build(1)];
        for (bool first = true; ; first = false, generation++)
        {
            var model = models[generation % 2];
            model.SetWeights(Generations.Weights(model, generation));
            model.Save(args[0]);
            if (first) Console.WriteLine("saving");
        }
    }
}

/// <summary>The models the child saves: one architecture, weights that are a function of a generation number.</summary>
public static class Generations
{
    /// <summary>
    /// A Sequential of about a million weights (4 MB of weights file), holding generation <paramref name="generation"/>'s
    /// weights. Even and odd generations differ in width, so the JSON of one beside the weights of the next does not load.
    /// </summary>
    public static Model Build(int generation)
    {
        var model = new Sequential([Layers.Input(shape: [64], name: "x"), Layers.Dense(generation % 2 == 0 ? 1024 : 1000, activation: "tanh", name: "wide"),
            Layers.Dense(960, activation: "tanh", name: "deep"), Layers.Dense(1, name: "generation")]);
        model.SetWeights(Weights(model, generation));
        return model;
    }

    /// <summary>
    /// The weights of generation <paramref name="generation"/>: the last bias holds the generation number and
    /// every other value depends on it, so a file mixing two generations is told apart from either.
    /// </summary>
    public static Tensor[] Weights(Model model, int generation)
    {
        var shapes = model.GetWeights().Select(w => w.Shape.ToArray()).ToArray();
        var result = new Tensor[shapes.Length];
        for (int t = 0; t < shapes.Length; t++)
        {
            int n = shapes[t].Aggregate(1, (a, b) => a * b);
            var values = new float[n];
            for (int i = 0; i < n; i++) values[i] = (float)Math.Sin(0.001 * i + 0.37 * generation + t) * 0.05f;
            if (t == shapes.Length - 1) values[^1] = generation;
            result[t] = Tensor.FromArray(values, shapes[t]);
        }
        return result;
    }
}
