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
    /// <summary>Record generators of the recurrent layers.</summary>
    private static Dictionary<string, Gen<Layer>> RecurrentRecords => new()
    {
        ["SimpleRNN"] = RecurrentGen.Select(r => (Layer)r.Simple),
        ["LSTM"] = RecurrentGen.Select(r => (Layer)r.Lstm),
        ["GRU"] = RecurrentGen.Select(r => (Layer)r.Gru),
        ["Bidirectional"] = from r in RecurrentGen
                            from which in Gen.Choose(0, 2)
                            from mode in Gen.Elements("concat", "sum", "mul", "ave", null)
                            from custom in ArbMap.Default.GeneratorFor<bool>()
                            let inner = which == 0 ? (RecurrentLayer)r.Simple : which == 1 ? r.Lstm : r.Gru
                            let forward = inner with { Name = "rnn", GoBackwards = false }
                            select (Layer)new Bidirectional(forward, mode, custom ? forward with { Name = "back", GoBackwards = true } : null) { Id = Id, Name = "x" },
    };

    /// <summary>One of each recurrent layer from the same generated arguments.</summary>
    private static Gen<(SimpleRNN Simple, LSTM Lstm, GRU Gru)> RecurrentGen =>
        from units in Gen.Choose(1, 512)
        from act in Activation
        from ra in Activation
        from flags in ArbMap.Default.GeneratorFor<bool>().ArrayOf(7).Where(a => a.Length == 7)
        from dropout in Unit
        from recurrentDropout in Unit
        select (new SimpleRNN(units, act, flags[0], flags[1], flags[2], flags[3], false, dropout, recurrentDropout, flags[4]) { Id = Id, Name = "x" },
            new LSTM(units, act, ra, flags[0], flags[5], flags[1], flags[2], flags[3], false, dropout, recurrentDropout, flags[4]) { Id = Id, Name = "x" },
            new GRU(units, act, ra, flags[0], flags[1], flags[2], flags[3], false, dropout, recurrentDropout, flags[4], flags[6]) { Id = Id, Name = "x" });
}
