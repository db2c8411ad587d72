using DeepGraph.Core;

namespace DeepGraph.Properties.Layers;

public partial class LayerContractTests
{
    /// <summary>The contract rows of the elementwise layers.</summary>
    private static Dictionary<string, Row> ElementwiseRows => new()
    {
    };
}
