// The C# programs of docs/models-from-keras.md: every ```csharp block of the page appears in this file
// (ModelsFromKerasIsCompiled checks it), and the tests there run each program.
using DeepGraph;
using DeepGraph.Keras;

namespace DeepGraph.Properties.Docs;

/// <summary>The programs of "Models from Keras": files Keras wrote, loaded, run, saved back and verified.</summary>
public static class ModelsFromKeras
{
    /// <summary>Loads <c>m.keras</c> from <paramref name="dir"/> and runs it on <paramref name="x"/>.</summary>
    public static (Model Model, Tensor[] Outputs, List<string> Printed) LoadAndPredict(string dir, Tensor x)
    {
        Model model = Models.LoadModel(Path.Combine(dir, "m.keras"));   // or m.h5: the format is told by the file's bytes
        Tensor[] outputs = model.Predict(x);
        foreach (var warning in model.LoadWarnings) Console.WriteLine(warning);   // compile settings it could not use, if any
        return (model, outputs, [.. model.LoadWarnings]);
    }

    /// <summary>Loads Keras JSON and a save_weights file from <paramref name="dir"/>.</summary>
    public static Model LoadJsonAndWeights(string dir)
    {
        Model model = Models.LoadModel(Path.Combine(dir, "model.json"), Path.Combine(dir, "model.weights.h5"));
        return model;
    }

    /// <summary>Trains <paramref name="model"/> (compiled after <c>Backend.SetRandomSeed(seed)</c>) two epochs, saves it, loads it and trains on to epoch 4.</summary>
    public static Model Resume(Model model, string dir, Tensor x, Tensor y, int seed)
    {
        model.Fit(x, y, batchSize: 4, epochs: 2, verbose: 0);
        model.Save(Path.Combine(dir, "run.keras"));                      // weights, compile settings, optimizer state
        Backend.SetRandomSeed(seed);                                     // the seed the run was compiled under
        Model resumed = Models.LoadModel(Path.Combine(dir, "run.keras"));
        resumed.Fit(x, y, batchSize: 4, epochs: 4, initialEpoch: 2, verbose: 0);   // as if it had never stopped
        return resumed;
    }

    /// <summary>Saves <paramref name="model"/> in every format into <paramref name="dir"/>.</summary>
    public static void SaveBack(Model model, string dir)
    {
        model.Save(Path.Combine(dir, "copy.keras"));                  // Keras 3: keras.saving.load_model("copy.keras")
        model.Save(Path.Combine(dir, "copy.h5"));                     // Keras 2, tf.keras: keras.models.load_model("copy.h5")
        model.Save(Path.Combine(dir, "copy.json"));                   // TensorFlow.js: tf.loadLayersModel("copy.json")
        model.Save(Path.Combine(dir, "copy.bin"), format: "keras");   // the format named, whatever the extension
    }

    /// <summary>Saves <paramref name="model"/> with a test case and loads it verified.</summary>
    public static Model SaveAndVerify(Model model, string dir, Tensor x)
    {
        model.Save(Path.Combine(dir, "checked.keras"), testCase: [x]);   // also writes checked.keras.io.json and .io.bin
        Model same = Models.LoadModel(Path.Combine(dir, "checked.keras"), verify: true);
        return same;
    }

    /// <summary>Loads a file that may use a layer DeepGraph lacks; returns what the error names, or null if it loaded.</summary>
    public static string? Refused(string path)
    {
        string? refused = null;
        try
        {
            Models.LoadModel(path);
        }
        catch (UnsupportedLayerError e)
        {
            refused = $"{e.LayerName} ({e.ClassName}, Keras {e.KerasVersion})";   // the layer, its class and the version
        }
        catch (ModelVerificationError e)
        {
            refused = $"output {e.Output}, value {e.Index}: {e.Got} vs {e.Want}";
        }
        catch (ModelFormatError e)
        {
            refused = e.Message;   // not a model file, corrupt, truncated, or weights that do not fit the layers
        }
        return refused;
    }
}
