using DeepGraph.Bench;

// dotnet run -c Release --project bench/DeepGraph.Bench -- <mode>
string mode = args.Length > 0 ? args[0] : "";
switch (mode)
{
    case "sgemm":
        return SgemmBench.Run(args[1..]);
    case "tune":
        return TuneBench.Run(args[1..]);
    default:
        Console.Error.WriteLine("usage: DeepGraph.Bench sgemm [--quick]");
        return 2;
}
