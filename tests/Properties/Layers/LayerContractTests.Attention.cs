using DeepGraph.Core;

namespace DeepGraph.Properties.Layers;

public partial class LayerContractTests
{
    /// <summary>The contract rows of the attention layers.</summary>
    private static Dictionary<string, Row> AttentionRows => new()
    {
        // "concat" with use_scale: two scalar weights, both ones; the value is also the key, of the query's features.
        ["Attention"] = new(() => new Attention(useScale: true, scoreMode: "concat") { Id = Id, Name = Name },
            () => new Attention() { Id = Id, Name = Name },
            [Shape.Batched(5, 4), Shape.Batched(7, 4)], [Shape.Batched(5, 4)], 2, 0, false),
        // With a key: the output has the value's features; the scale is a Glorot-uniform vector of the query's features.
        ["AdditiveAttention"] = new(() => new AdditiveAttention() { Id = Id, Name = Name },
            () => new AdditiveAttention(useScale: false) { Id = Id, Name = Name },
            [Shape.Batched(5, 4), Shape.Batched(7, 3), Shape.Batched(7, 4)], [Shape.Batched(5, 3)], 4, 0, true),
        ["GroupNormalization"] = new(() => new GroupNormalization(groups: 2) { Id = Id, Name = Name },
            () => new GroupNormalization(groups: 3) { Id = Id, Name = Name },
            [Shape.Batched(5, 6)], [Shape.Batched(5, 6)], 2 * 6, 0, false),
        ["UnitNormalization"] = new(() => new UnitNormalization() { Id = Id, Name = Name },
            () => new UnitNormalization([1]) { Id = Id, Name = Name },
            [Shape.Batched(5, 3)], [Shape.Batched(5, 3)], 0, 0, false),
    };
}
