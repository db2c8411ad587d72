using DeepGraph.Core;

namespace DeepGraph.Properties.Layers;

public partial class LayerContractTests
{
    /// <summary>The contract rows of the convolution layers.</summary>
    private static Dictionary<string, Row> ConvolutionRows => new()
    {
        ["Conv1D"] = new(() => new Conv1D(3, 2) { Id = Id, Name = Name },
            () => new Conv1D(3, 2, padding: "causal") { Id = Id, Name = Name },
            [Shape.Batched(6, 2)], [Shape.Batched(5, 3)], 2 * 2 * 3 + 3, 0, true),
        ["Conv1DTranspose"] = new(() => new Conv1DTranspose(3, 3, strides: 2) { Id = Id, Name = Name },
            () => new Conv1DTranspose(3, 3, strides: 2, padding: Padding.Same) { Id = Id, Name = Name },
            [Shape.Batched(4, 2)], [Shape.Batched(4 * 2 + 1, 3)], 3 * 3 * 2 + 3, 0, true),
        ["Conv2DTranspose"] = new(() => new Conv2DTranspose(3, (3, 2), (2, 2)) { Id = Id, Name = Name },
            () => new Conv2DTranspose(3, (3, 2), (2, 2), Padding.Same) { Id = Id, Name = Name },
            [Shape.Batched(4, 5, 2)], [Shape.Batched(9, 10, 3)], 3 * 2 * 3 * 2 + 3, 0, true),
        ["DepthwiseConv2D"] = new(() => new DepthwiseConv2D((3, 3), depthMultiplier: 2) { Id = Id, Name = Name },
            () => new DepthwiseConv2D((3, 3), depthMultiplier: 2, padding: Padding.Same) { Id = Id, Name = Name },
            [Shape.Batched(5, 6, 4)], [Shape.Batched(3, 4, 8)], 3 * 3 * 4 * 2 + 8, 0, true),
        ["DepthwiseConv1D"] = new(() => new DepthwiseConv1D(3) { Id = Id, Name = Name },
            () => new DepthwiseConv1D(3, depthMultiplier: 3) { Id = Id, Name = Name },
            [Shape.Batched(7, 4)], [Shape.Batched(5, 4)], 3 * 4 + 4, 0, true),
        ["SeparableConv2D"] = new(() => new SeparableConv2D(5, (3, 3), depthMultiplier: 2) { Id = Id, Name = Name },
            () => new SeparableConv2D(5, (3, 3), depthMultiplier: 2, padding: Padding.Same) { Id = Id, Name = Name },
            [Shape.Batched(6, 6, 3)], [Shape.Batched(4, 4, 5)], 3 * 3 * 3 * 2 + 3 * 2 * 5 + 5, 0, true),
        ["SeparableConv1D"] = new(() => new SeparableConv1D(5, 3) { Id = Id, Name = Name },
            () => new SeparableConv1D(5, 3, useBias: false) { Id = Id, Name = Name },
            [Shape.Batched(8, 3)], [Shape.Batched(6, 5)], 3 * 3 + 3 * 5 + 5, 0, true),
    };
}
