using DeepGraph.Core;

namespace DeepGraph.Properties.Layers;

public partial class LayerContractTests
{
    /// <summary>The contract rows of the recurrent layers.</summary>
    private static Dictionary<string, Row> RecurrentRows => new()
    {
        ["SimpleRNN"] = new(() => new SimpleRNN(4) { Id = Id, Name = Name },
            () => new SimpleRNN(4, goBackwards: true) { Id = Id, Name = Name },
            [Shape.Batched(5, 3)], [Shape.Batched(4)], 3 * 4 + 4 * 4 + 4, 0, true),
        ["LSTM"] = new(() => new LSTM(4, returnSequences: true, returnState: true) { Id = Id, Name = Name },
            () => new LSTM(4, returnSequences: true, returnState: true, recurrentActivation: "hard_sigmoid") { Id = Id, Name = Name },
            [Shape.Batched(5, 3)], [Shape.Batched(5, 4), Shape.Batched(4), Shape.Batched(4)], 4 * (3 * 4 + 4 * 4 + 4), 0, true),
        ["GRU"] = new(() => new GRU(4) { Id = Id, Name = Name },
            () => new GRU(4, resetAfter: false) { Id = Id, Name = Name },
            [Shape.Of(null, null, 3)], [Shape.Batched(4)], 3 * 12 + 4 * 12 + 2 * 12, 0, true),
        ["Bidirectional"] = new(() => new Bidirectional(new LSTM(2) { Id = Id, Name = "lstm" }) { Id = Id, Name = Name },
            () => new Bidirectional(new LSTM(2) { Id = Id, Name = "lstm" }, "sum") { Id = Id, Name = Name },
            [Shape.Batched(5, 3)], [Shape.Batched(4)], 2 * 4 * (3 * 2 + 2 * 2 + 2), 0, true),
    };
}
