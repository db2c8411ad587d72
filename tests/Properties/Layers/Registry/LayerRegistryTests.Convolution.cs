using DeepGraph.Core;
using FsCheck;
using FsCheck.Fluent;

namespace DeepGraph.Properties.Layers.Registry;

public partial class LayerRegistryTests
{
    /// <summary>Record generators of the convolution layers.</summary>
    private static Dictionary<string, Gen<Layer>> ConvolutionRecords => new()
    {
        ["Conv1D"] = from filters in Gen.Choose(1, 512)
                     from kernel in Gen.Choose(1, 9)
                     from stride in Gen.Choose(1, 3)
                     from dilation in Gen.Choose(1, 4)
                     from dilated in ArbMap.Default.GeneratorFor<bool>()
                     from padding in Gen.Elements("valid", "same", "causal")
                     from act in Activation
                     from bias in ArbMap.Default.GeneratorFor<bool>()
                     from channelsFirst in ArbMap.Default.GeneratorFor<bool>()
                     select (Layer)new Conv1D(filters, kernel, dilated ? 1 : stride, padding, act, bias, dilated ? dilation : 1, channelsFirst) { Id = Id, Name = "x" },
        ["Conv1DTranspose"] = from filters in Gen.Choose(1, 512)
                              from kernel in Gen.Choose(1, 9)
                              from stride in Gen.Choose(1, 3)
                              from outputPadding in Gen.Choose(-1, 2)
                              from padding in Padding
                              from act in Activation
                              from bias in ArbMap.Default.GeneratorFor<bool>()
                              select (Layer)new Conv1DTranspose(filters, kernel, stride, padding, outputPadding >= 0 ? Math.Min(outputPadding, stride - 1) : null, act, bias) { Id = Id, Name = "x" },
        ["Conv2DTranspose"] = from filters in Gen.Choose(1, 512)
                              from kernel in PairOf(1, 7)
                              from strides in PairOf(1, 3)
                              from dilation in PairOf(1, 3)
                              from useDilation in ArbMap.Default.GeneratorFor<bool>()
                              from withPadding in ArbMap.Default.GeneratorFor<bool>()
                              from padding in Padding
                              from act in Activation
                              from bias in ArbMap.Default.GeneratorFor<bool>()
                              let s = useDilation ? (1, 1) : strides
                              select (Layer)new Conv2DTranspose(filters, kernel, s, padding, withPadding ? (s.Item1 - 1, 0) : null, act, bias, useDilation ? dilation : null) { Id = Id, Name = "x" },
        ["DepthwiseConv2D"] = from kernel in PairOf(1, 7)
                              from strides in PairOf(1, 3)
                              from dilation in PairOf(1, 3)
                              from useDilation in ArbMap.Default.GeneratorFor<bool>()
                              from multiplier in Gen.Choose(1, 4)
                              from padding in Padding
                              from act in Activation
                              from bias in ArbMap.Default.GeneratorFor<bool>()
                              select (Layer)new DepthwiseConv2D(kernel, useDilation ? (1, 1) : strides, padding, multiplier, act, bias, useDilation ? dilation : null) { Id = Id, Name = "x" },
        ["DepthwiseConv1D"] = from kernel in Gen.Choose(1, 9)
                              from stride in Gen.Choose(1, 3)
                              from multiplier in Gen.Choose(1, 4)
                              from padding in Padding
                              from act in Activation
                              from bias in ArbMap.Default.GeneratorFor<bool>()
                              select (Layer)new DepthwiseConv1D(kernel, stride, padding, multiplier, act, bias) { Id = Id, Name = "x" },
        ["SeparableConv2D"] = from filters in Gen.Choose(1, 512)
                              from kernel in PairOf(1, 7)
                              from strides in PairOf(1, 3)
                              from dilation in PairOf(1, 3)
                              from useDilation in ArbMap.Default.GeneratorFor<bool>()
                              from multiplier in Gen.Choose(1, 4)
                              from padding in Padding
                              from act in Activation
                              from bias in ArbMap.Default.GeneratorFor<bool>()
                              select (Layer)new SeparableConv2D(filters, kernel, useDilation ? (1, 1) : strides, padding, multiplier, act, bias, useDilation ? dilation : null) { Id = Id, Name = "x" },
        ["SeparableConv1D"] = from filters in Gen.Choose(1, 512)
                              from kernel in Gen.Choose(1, 9)
                              from dilation in Gen.Choose(1, 3)
                              from multiplier in Gen.Choose(1, 4)
                              from padding in Padding
                              from act in Activation
                              from bias in ArbMap.Default.GeneratorFor<bool>()
                              select (Layer)new SeparableConv1D(filters, kernel, 1, padding, multiplier, act, bias, dilation) { Id = Id, Name = "x" },
    };
}
