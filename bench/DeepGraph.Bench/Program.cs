using DeepGraph.Bench;

// dotnet run -c Release --project bench/DeepGraph.Bench -- <mode>
string mode = args.Length > 0 ? args[0] : "";
switch (mode)
{
    case "sgemm":
        return SgemmBench.Run(args[1..]);
    case "conv":
        return ConvBench.Run(args[1..]);
    case "mnist":
        return ModelBench.Mnist(args[1..]);
    case "smodel":
        return ModelBench.SModelTime(args[1..]);
    case "smodel-rss":
        return ModelBench.SModelRss(args[1..]);
    case "train":
        return TrainBench.Run(args[1..]);
    case "train-rss":
        return TrainBench.Rss(args[1..]);
    case "transformer":
        return TransformerBench.Run(args[1..]);
    case "fashion":
        return FashionBench.Run(args[1..]);
    case "mobilenet":
        return MobileNetBench.Run(args[1..]);
    case "lstm":
        return LstmBench.Run(args[1..]);
    default:
        Console.Error.WriteLine("usage: DeepGraph.Bench sgemm [--quick] | conv | mnist | smodel | train | fashion | transformer [--quick|--profile] [--threads N] | mobilenet [--quick] | lstm");
        return 2;
}
