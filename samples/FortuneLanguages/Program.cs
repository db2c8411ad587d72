// Which language is this fortune in? A character-level text classifier (Embedding → LSTM → Dense) trained on
// real texts from Debian's fortune packages: English, German, Spanish, Italian and Portuguese.
// Usage: dotnet run --project samples/FortuneLanguages [-- epochs [texts-per-language [fortune-folder]]]
// Needs: apt-get install fortunes fortunes-de fortunes-es fortunes-it fortunes-br
using System.Globalization;
using DeepGraph;
using DeepGraph.Keras;
using DeepGraph.Samples.FortuneLanguages;
using static DeepGraph.Keras.Layers;

int epochs = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10;
int perLanguage = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 2000;
var languages = FortuneData.Find(args.Length > 2 ? args[2] : FortuneData.DefaultRoot);
if (languages is null)
{
    Console.Error.WriteLine($"The fortune files were not found. Install them with: apt-get install {FortuneData.Packages}");
    return 1;
}
const int Length = 100;
var texts = FortuneData.Sample(languages, perLanguage, seed: 7);
int split = texts.Count * 4 / 5;
var vocabulary = FortuneData.Vocabulary(texts.Take(split).Select(t => t.Text));
var train = FortuneData.Encode(texts[..split], vocabulary, Length);
var test = FortuneData.Encode(texts[split..], vocabulary, Length);
Console.WriteLine($"{texts.Count} fortunes in {string.Join(", ", languages.Select(l => l.Code))}: {train.Count} to train, {test.Count} to test; {vocabulary.Length + 2} character ids");
Console.WriteLine(Backend.BlasReport);

Backend.SetRandomSeed(1);
var model = FortuneModel.Build(vocabulary.Length + 2, languages.Count, Length);
model.Summary();

var xTrain = Tensor.FromInts(train.Ids, [train.Count, Length]);
var yTrain = Tensor.FromArray(train.Labels, [train.Count, 1]);
var xTest = Tensor.FromInts(test.Ids, [test.Count, Length]);
var yTest = Tensor.FromArray(test.Labels, [test.Count, 1]);
model.Fit(xTrain, yTrain, batchSize: 64, epochs: epochs, validationSplit: 0.1);

double accuracy = model.Evaluate(xTest, yTest, batchSize: 500)["accuracy"];
Console.WriteLine($"test accuracy: {accuracy.ToString("F4", CultureInfo.InvariantCulture)}");
return 0;
