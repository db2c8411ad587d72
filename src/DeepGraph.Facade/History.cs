namespace DeepGraph.Keras;

/// <summary>
/// The record of a training run (Keras's <c>History</c>, which <c>Fit</c> returns): the epoch logs,
/// one list per key, in the order the keys first appeared.
/// </summary>
/// <remarks>
/// As in Keras, <see cref="OnTrainBegin"/> clears <see cref="Epoch"/> but not <see cref="HistoryData"/>:
/// a <see cref="History"/> passed to several <c>Fit</c> calls keeps appending to the same lists.
/// </remarks>
/// <example><code>
/// History history = model.Fit(x, y, epochs: 10, validationSplit: 0.1);
/// IReadOnlyList&lt;double&gt; valAccuracy = history.HistoryData["val_accuracy"];
/// double lastLoss = history["loss"][^1];
/// </code></example>
public sealed class History : Callback
{
    private readonly List<int> epochs = [];
    private readonly OrderedDictionary<string, List<double>> data = new(StringComparer.Ordinal);
    private readonly Dictionary<string, IReadOnlyList<double>> view = new(StringComparer.Ordinal);

    /// <summary>The epochs recorded (0-based; Keras's <c>history.epoch</c>).</summary>
    public IReadOnlyList<int> Epoch => epochs;

    /// <summary>Each log key's values, one per recorded epoch (Keras's <c>history.history</c>); keys in first-seen order.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> HistoryData => new HistoryView(this);

    /// <summary>The values recorded for <paramref name="key"/> (<c>history["val_loss"]</c>).</summary>
    /// <exception cref="KeyNotFoundException">No epoch log held that key; the message lists the keys that were recorded.</exception>
    public IReadOnlyList<double> this[string key] =>
        view.TryGetValue(key, out var values)
            ? values
            : throw new KeyNotFoundException($"History has no values for '{key}'. Recorded keys are: [{string.Join(", ", data.Keys)}].");

    /// <inheritdoc/>
    public override void OnTrainBegin(IReadOnlyDictionary<string, double> logs) => epochs.Clear();

    /// <inheritdoc/>
    public override void OnEpochEnd(int epoch, IReadOnlyDictionary<string, double> logs)
    {
        ArgumentNullException.ThrowIfNull(logs);
        epochs.Add(epoch);
        foreach (var (key, value) in logs)
        {
            if (!data.TryGetValue(key, out var values))
            {
                data.Add(key, values = []);
                view[key] = values.AsReadOnly();
            }
            values.Add(value);
        }
    }

    /// <summary>A read-only view of <see cref="data"/> in insertion order.</summary>
    private sealed class HistoryView(History owner) : IReadOnlyDictionary<string, IReadOnlyList<double>>
    {
        public IReadOnlyList<double> this[string key] => owner[key];
        public IEnumerable<string> Keys => owner.data.Keys;
        public IEnumerable<IReadOnlyList<double>> Values => owner.data.Keys.Select(k => owner.view[k]);
        public int Count => owner.data.Count;
        public bool ContainsKey(string key) => owner.data.ContainsKey(key);

        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out IReadOnlyList<double> value) =>
            owner.view.TryGetValue(key, out value);

        public IEnumerator<KeyValuePair<string, IReadOnlyList<double>>> GetEnumerator() =>
            owner.data.Keys.Select(k => new KeyValuePair<string, IReadOnlyList<double>>(k, owner.view[k])).GetEnumerator();

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
