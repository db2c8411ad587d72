using DeepGraph.Core;

namespace DeepGraph.Properties.Layers;

public partial class LayerContractTests
{
    /// <summary>The contract rows of the sequence layers.</summary>
    private static Dictionary<string, Row> SequenceRows => new()
    {
        ["Masking"] = new(() => new Masking { Id = Id, Name = Name },
            () => new Masking(-1.0) { Id = Id, Name = Name },
            [Shape.Batched(5, 3)], [Shape.Batched(5, 3)], 0, 0, false),
        ["TimeDistributed"] = new(() => new TimeDistributed(new Dense(4) { Id = Id, Name = "dense" }) { Id = Id, Name = Name },
            () => new TimeDistributed(new Dense(5) { Id = Id, Name = "dense" }) { Id = Id, Name = Name },
            [Shape.Batched(6, 3)], [Shape.Batched(6, 4)], 3 * 4 + 4, 0, true),
        ["RepeatVector"] = new(() => new RepeatVector(3) { Id = Id, Name = Name },
            () => new RepeatVector(4) { Id = Id, Name = Name },
            [Shape.Batched(5)], [Shape.Batched(3, 5)], 0, 0, false),
        ["Permute"] = new(() => new Permute([2, 1]) { Id = Id, Name = Name },
            () => new Permute([1, 2]) { Id = Id, Name = Name },
            [Shape.Batched(5, 3)], [Shape.Batched(3, 5)], 0, 0, false),
        ["Cropping1D"] = new(() => new Cropping1D((1, 2)) { Id = Id, Name = Name },
            () => new Cropping1D(1) { Id = Id, Name = Name },
            [Shape.Batched(6, 3)], [Shape.Batched(3, 3)], 0, 0, false),
        ["Cropping2D"] = new(() => new Cropping2D(((0, 1), (1, 0))) { Id = Id, Name = Name },
            () => new Cropping2D(1) { Id = Id, Name = Name },
            [Shape.Batched(5, 4, 3)], [Shape.Batched(4, 3, 3)], 0, 0, false),
        ["ZeroPadding1D"] = new(() => new ZeroPadding1D((2, 0)) { Id = Id, Name = Name },
            () => new ZeroPadding1D() { Id = Id, Name = Name },
            [Shape.Batched(4, 3)], [Shape.Batched(6, 3)], 0, 0, false),
        ["UpSampling1D"] = new(() => new UpSampling1D(3) { Id = Id, Name = Name },
            () => new UpSampling1D() { Id = Id, Name = Name },
            [Shape.Batched(4, 3)], [Shape.Batched(12, 3)], 0, 0, false),
        ["UpSampling2D"] = new(() => new UpSampling2D((2, 3)) { Id = Id, Name = Name },
            () => new UpSampling2D((2, 3), "bilinear") { Id = Id, Name = Name },
            [Shape.Batched(4, 3, 2)], [Shape.Batched(8, 9, 2)], 0, 0, false),
        ["MaxPooling1D"] = new(() => new MaxPooling1D() { Id = Id, Name = Name },
            () => new MaxPooling1D(padding: Padding.Same) { Id = Id, Name = Name },
            [Shape.Batched(5, 3)], [Shape.Batched(2, 3)], 0, 0, false),
        ["AveragePooling1D"] = new(() => new AveragePooling1D(3, 1) { Id = Id, Name = Name },
            () => new AveragePooling1D(3) { Id = Id, Name = Name },
            [Shape.Batched(5, 3)], [Shape.Batched(3, 3)], 0, 0, false),
    };
}
