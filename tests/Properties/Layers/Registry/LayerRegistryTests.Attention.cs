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
    /// <summary>Record generators of the attention layers.</summary>
    private static Dictionary<string, Gen<Layer>> AttentionRecords => new()
    {
        ["Attention"] = from scale in ArbMap.Default.GeneratorFor<bool>()
                        from mode in Gen.Elements("dot", "concat")
                        from dropout in Unit
                        from seed in Maybe(Gen.Choose(0, int.MaxValue))
                        select (Layer)new Attention(scale, mode, dropout, seed) { Id = Id, Name = "x" },
        ["AdditiveAttention"] = from scale in ArbMap.Default.GeneratorFor<bool>()
                                from dropout in Unit
                                from seed in Maybe(Gen.Choose(0, int.MaxValue))
                                select (Layer)new AdditiveAttention(scale, dropout, seed) { Id = Id, Name = "x" },
        ["GroupNormalization"] = from groups in Gen.Frequency((1, Gen.Constant(-1)), (4, Gen.Choose(1, 64)))
                                 from axis in Gen.Elements(-1, -2, 1, 2, 3)
                                 from epsilon in Gen.Choose(1, 100_000).Select(i => i * 1e-7)
                                 from center in ArbMap.Default.GeneratorFor<bool>()
                                 from scale in ArbMap.Default.GeneratorFor<bool>()
                                 select (Layer)new GroupNormalization(groups, axis, epsilon, center, scale) { Id = Id, Name = "x" },
        ["UnitNormalization"] = Gen.Elements<int[]>([-1], [1], [1, 2], [-2, -1], [0]).Select(axes => (Layer)new UnitNormalization(axes) { Id = Id, Name = "x" }),
        ["MultiHeadAttention seeded"] = from heads in Gen.Choose(1, 16)
                                        from keyDim in Gen.Choose(1, 64)
                                        from seed in Gen.Choose(0, int.MaxValue)
                                        from axes in Gen.Elements<int[]?>(null, [2], [-3], [1, 3])
                                        select (Layer)new MultiHeadAttention(heads, keyDim, attentionAxes: axes, seed: seed) { Id = Id, Name = "x" },
    };
}
