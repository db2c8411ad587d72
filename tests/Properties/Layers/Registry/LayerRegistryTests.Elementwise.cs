using System.Text.Json.Nodes;
using DeepGraph.Core;
using DeepGraph.Properties.Serialization;
using DeepGraph.Serialization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace DeepGraph.Properties.Layers.Registry;

public partial class LayerRegistryTests
{
    /// <summary>Record generators of the elementwise layers.</summary>
    private static Dictionary<string, Gen<Layer>> ElementwiseRecords => new()
    {
        ["Softmax"] = Gen.Elements<int[]>([-1], [1], [2], [1, 2], [-1, -3]).Select(axes => (Layer)new Softmax(axes) { Id = Id, Name = "x" }),
        ["ReLU"] = from max in Gen.Frequency((1, Gen.Constant((double?)null)), (2, Gen.Choose(0, 600).Select(i => (double?)(i / 100.0))))
                   from slope in Gen.Elements(0.0, 0.01, 0.3)
                   from threshold in Gen.Elements(0.0, 0.5, 2.0)
                   select (Layer)new ReLU(max, slope, threshold) { Id = Id, Name = "x" },
        ["LeakyReLU"] = Gen.Choose(0, 1000).Select(i => (Layer)new LeakyReLU(i / 1000.0) { Id = Id, Name = "x" }),
        ["PReLU"] = from axes in Gen.Elements<int[]?>(null, [1], [1, 2], [3, 1])
                    from init in Gen.Elements<Initializer>(Constant.Zeros, Constant.Ones, new Constant(0.25f))
                    select (Layer)new PReLU(axes, init) { Id = Id, Name = "x" },
        ["ELU"] = Gen.Choose(-100, 300).Select(i => (Layer)new ELU(i / 100.0) { Id = Id, Name = "x" }),
        ["ThresholdedReLU"] = Gen.Choose(0, 300).Select(i => (Layer)new ThresholdedReLU(i / 100.0) { Id = Id, Name = "x" }),
        ["SpatialDropout1D"] = from rate in Unit from seed in Maybe(ArbMap.Default.GeneratorFor<int>())
                               select (Layer)new SpatialDropout1D(rate, seed) { Id = Id, Name = "x" },
        ["SpatialDropout2D"] = from rate in Unit from first in ArbMap.Default.GeneratorFor<bool>() from seed in Maybe(ArbMap.Default.GeneratorFor<int>())
                               select (Layer)new SpatialDropout2D(rate, first, seed) { Id = Id, Name = "x" },
        ["GaussianNoise"] = from stddev in Gen.Choose(0, 5000).Select(i => i / 1000.0) from seed in Maybe(ArbMap.Default.GeneratorFor<int>())
                            select (Layer)new GaussianNoise(stddev, seed) { Id = Id, Name = "x" },
        ["GaussianDropout"] = from rate in Unit from seed in Maybe(ArbMap.Default.GeneratorFor<int>())
                              select (Layer)new GaussianDropout(rate, seed) { Id = Id, Name = "x" },
        ["AlphaDropout"] = from rate in Unit
                           from noise in Gen.Elements<int?[]?>(null, [null, 1], [null, 1, 4])
                           from seed in Maybe(ArbMap.Default.GeneratorFor<int>())
                           select (Layer)new AlphaDropout(rate, noise, seed) { Id = Id, Name = "x" },
        ["Subtract"] = Gen.Constant((Layer)new Subtract { Id = Id, Name = "x" }),
        ["Dot"] = from pair in ArbMap.Default.GeneratorFor<bool>()
                  from a in Gen.Elements(-2, -1, 1, 2, 3)
                  from b in Gen.Elements(-2, -1, 1, 2, 3)
                  from normalize in ArbMap.Default.GeneratorFor<bool>()
                  select (Layer)(pair ? new Dot((a, b), normalize) { Id = Id, Name = "x" } : new Dot(a, normalize) { Id = Id, Name = "x" }),
    };
}
