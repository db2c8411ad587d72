using DeepGraph.Core;

namespace DeepGraph.Properties.Layers;

public partial class LayerContractTests
{
    /// <summary>The contract rows of the elementwise layers.</summary>
    private static Dictionary<string, Row> ElementwiseRows => new()
    {
        ["Softmax"] = new(() => new Softmax { Id = Id, Name = Name },
            () => new Softmax(1) { Id = Id, Name = Name },
            [Shape.Batched(4, 3)], [Shape.Batched(4, 3)], 0, 0, false),
        ["ReLU"] = new(() => new ReLU { Id = Id, Name = Name },
            () => new ReLU(maxValue: 6) { Id = Id, Name = Name },
            [Shape.Batched(4, 3)], [Shape.Batched(4, 3)], 0, 0, false),
        ["LeakyReLU"] = new(() => new LeakyReLU { Id = Id, Name = Name },
            () => new LeakyReLU(0.1) { Id = Id, Name = Name },
            [Shape.Batched(5)], [Shape.Batched(5)], 0, 0, false),
        ["PReLU"] = new(() => new PReLU { Id = Id, Name = Name },
            () => new PReLU(sharedAxes: [1]) { Id = Id, Name = Name },
            [Shape.Batched(4, 3)], [Shape.Batched(4, 3)], 4 * 3, 0, false),
        ["ELU"] = new(() => new ELU { Id = Id, Name = Name },
            () => new ELU(0.5) { Id = Id, Name = Name },
            [Shape.Batched(5)], [Shape.Batched(5)], 0, 0, false),
        ["ThresholdedReLU"] = new(() => new ThresholdedReLU { Id = Id, Name = Name },
            () => new ThresholdedReLU(0.5) { Id = Id, Name = Name },
            [Shape.Batched(5)], [Shape.Batched(5)], 0, 0, false),
        ["SpatialDropout1D"] = new(() => new SpatialDropout1D(0.2) { Id = Id, Name = Name },
            () => new SpatialDropout1D(0.3) { Id = Id, Name = Name },
            [Shape.Batched(6, 3)], [Shape.Batched(6, 3)], 0, 0, false),
        ["SpatialDropout2D"] = new(() => new SpatialDropout2D(0.2) { Id = Id, Name = Name },
            () => new SpatialDropout2D(0.2, channelsFirst: true) { Id = Id, Name = Name },
            [Shape.Batched(4, 4, 3)], [Shape.Batched(4, 4, 3)], 0, 0, false),
        ["GaussianNoise"] = new(() => new GaussianNoise(0.1) { Id = Id, Name = Name },
            () => new GaussianNoise(0.1, seed: 4) { Id = Id, Name = Name },
            [Shape.Batched(5)], [Shape.Batched(5)], 0, 0, false),
        ["GaussianDropout"] = new(() => new GaussianDropout(0.1) { Id = Id, Name = Name },
            () => new GaussianDropout(0.2) { Id = Id, Name = Name },
            [Shape.Batched(5)], [Shape.Batched(5)], 0, 0, false),
        ["AlphaDropout"] = new(() => new AlphaDropout(0.1) { Id = Id, Name = Name },
            () => new AlphaDropout(0.1, noiseShape: [null, 1]) { Id = Id, Name = Name },
            [Shape.Batched(5)], [Shape.Batched(5)], 0, 0, false),
        ["Subtract"] = new(() => new Subtract { Id = Id, Name = Name }, null,
            [Shape.Batched(3), Shape.Of(null, null)], [Shape.Batched(3)], 0, 0, false),
        ["Dot"] = new(() => new Dot(axes: (2, 2)) { Id = Id, Name = Name },
            () => new Dot(axes: (2, 2), normalize: true) { Id = Id, Name = Name },
            [Shape.Batched(3, 8), Shape.Batched(5, 8)], [Shape.Batched(3, 5)], 0, 0, false),
    };
}
