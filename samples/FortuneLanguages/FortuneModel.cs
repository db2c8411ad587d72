using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Samples.FortuneLanguages;

/// <summary>The sample's model: character ids → Embedding (id 0 masked) → LSTM → softmax over the languages.</summary>
public static class FortuneModel
{
    /// <summary>The classifier for texts of <paramref name="length"/> character ids below <paramref name="ids"/>, compiled with Adam.</summary>
    public static Model Build(int ids, int languages, int length, int embedding = 32, int units = 64, double learningRate = 1e-2)
    {
        var chars = Input(shape: [length], dtype: "int32", name: "chars");
        var x = Embedding(ids, embedding, maskZero: true).Call(chars); // 0 pads a short text: masked, the LSTM skips it
        x = LSTM(units).Call(x);
        var language = Dense(languages, activation: "softmax", name: "language").Call(x);
        var model = new Model(chars, language, name: "fortune_languages");
        model.Compile(optimizer: Optimizers.Adam(learningRate: learningRate), loss: "sparse_categorical_crossentropy", metrics: ["accuracy"]);
        return model;
    }
}
