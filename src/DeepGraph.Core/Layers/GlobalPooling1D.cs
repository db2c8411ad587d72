namespace DeepGraph.Core;

/// <summary>
/// What Keras's global 1D poolings share: input (batch, steps, features) → output (batch, features),
/// or (batch, 1, features) with <see cref="KeepDims"/>; at least one step. Written over ops.
/// </summary>
public abstract record GlobalPooling1D : OpLayer
{
    /// <summary>A global pooling over the steps.</summary>
    /// <param name="keepDims">Keep the steps axis, with length 1 (Keras's <c>keepdims</c>).</param>
    protected GlobalPooling1D(bool keepDims) => KeepDims = keepDims;

    /// <summary>When true the steps axis stays, with length 1.</summary>
    public bool KeepDims { get; }

    /// <inheritdoc/>
    protected override IReadOnlyList<Shape> InferShapes(IReadOnlyList<Shape> inputs)
    {
        var x = Single(inputs);
        RequireRank(x, 3);
        RequireNonEmpty(x, 1, "steps");
        return base.InferShapes(inputs);
    }

    /// <summary>Keras's config of a global 1D pooling: <c>keepdims</c> only when set (TF.js has none); channels-last only.</summary>
    protected static LayerKind KindOf<T>(string className, Func<bool, LayerId, string, T> make) where T : GlobalPooling1D =>
        LayerKind.Of<T>(className,
            (c, id, name) =>
            {
                c.RequireChannelsLast();
                return make(c.Bool("keepdims", false), id, name);
            },
            g => g.KeepDims ? new System.Text.Json.Nodes.JsonObject { ["data_format"] = "channels_last", ["keepdims"] = true } : []);
}
