using DeepGraph.Core;

namespace DeepGraph.Serialization;

/// <summary>
/// Where a layer read from a file sits: the models around it, its name and class as the config gives
/// them, and its Keras 3 object path (<c>layers/dense_1</c>, <c>layers/functional/layers/conv2d</c>), which
/// Keras 3's <c>model.weights.h5</c> names its groups by. Each container finds a layer's weights from it
/// in its own way: TF.js's manifest and the legacy <c>.h5</c> by name, Keras 3 by object path.
/// </summary>
/// <param name="Scope">The names of the models the layer sits in, outermost (the root model) first.</param>
/// <param name="Name">The layer's name.</param>
/// <param name="ClassName">The layer's class name as written in the config.</param>
/// <param name="ObjectPath">The layer's Keras 3 object path from the root model (<see cref="KerasObjectPaths"/>).</param>
internal sealed record WeightSite(IReadOnlyList<string> Scope, string Name, string ClassName, string ObjectPath);

/// <summary>
/// The weights of a model file, handed to <see cref="KerasModelReader"/> layer by layer as it builds
/// them. A file is untrusted: <see cref="Take"/> checks each weight's shape against what the layer
/// needs and allocates only that; <see cref="Fill"/> reads the data once every layer is built and
/// <see cref="CheckAllTaken"/> found nothing left over — so nothing half-loaded escapes and nothing
/// larger than the model's own weights is allocated.
/// </summary>
internal interface IWeightSource
{
    /// <summary>
    /// The weights of the layer at <paramref name="site"/>, one per spec of <paramref name="specs"/> (the
    /// layer's weights in the order it declares them), of the spec's shape. They may hold zeros until
    /// <see cref="Fill"/> runs.
    /// </summary>
    /// <param name="site">Where the layer sits.</param>
    /// <param name="specs">The weights the layer needs for its input shapes.</param>
    /// <param name="owner">Who needs them, for messages (<c>layer "dense" (Dense)</c>).</param>
    /// <param name="why">Why these shapes, for messages (<c>for its input shape [null, 4]</c>).</param>
    /// <exception cref="ModelFormatError">A weight is missing, taken already or of another shape.</exception>
    IReadOnlyList<Tensor> Take(WeightSite site, IReadOnlyList<WeightSpec> specs, string owner, string why);

    /// <summary>Checks that every weight of the file was taken by a layer.</summary>
    /// <exception cref="ModelFormatError">Some weights belong to no layer of the model.</exception>
    void CheckAllTaken();

    /// <summary>Reads the data into the weights <see cref="Take"/> handed out.</summary>
    /// <exception cref="ModelFormatError">The data cannot be read or is not what the file declared.</exception>
    void Fill();
}
