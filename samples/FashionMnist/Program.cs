// Temporary: loads the data and says what was loaded. To be replaced by the sample program.
using DeepGraph.Samples.FashionMnist;

var (train, test, source) = FashionMnistData.Load(args.Length > 0 ? args[0] : null);
Console.WriteLine($"Data: {source}");
Console.WriteLine($"Train: {train.Count} images ({train.Images.Length} floats), {train.Labels.Length} labels");
Console.WriteLine($"Test: {test.Count} images ({test.Images.Length} floats), {test.Labels.Length} labels");
Console.WriteLine($"First train label: {FashionMnistData.ClassNames[(int)train.Labels[0]]}");
