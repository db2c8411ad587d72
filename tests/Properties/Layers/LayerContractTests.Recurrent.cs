using DeepGraph.Core;

namespace DeepGraph.Properties.Layers;

public partial class LayerContractTests
{
    /// <summary>The contract rows of the recurrent layers.</summary>
    private static Dictionary<string, Row> RecurrentRows => new()
    {
    };
}
