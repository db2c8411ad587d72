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
    };
}
