using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Execution;

/// <summary>Activation buffers come from the model's pool: in steady state a call allocates almost nothing.</summary>
public sealed class SteadyState
{
    [Fact]
    public void Repeated_predictions_with_disposed_results_do_not_allocate_activations_again()
    {
        Backend.ClearSession();
        var model = new Sequential([
            Conv2D(16, 3, activation: "relu", inputShape: [28, 28, 1]), MaxPooling2D(2),
            Conv2D(32, 3, activation: "relu", padding: "same"), MaxPooling2D(2), Flatten(), Dense(10, activation: "softmax"),
        ]);
        var x = Tensor.Filled(0.5f, 32, 28, 28, 1);
        // Every activation of one call: 32 × (26·26·16 + 13·13·16 + 13·13·32 + 6·6·32 + 10) floats ≈ 2.5 MB.
        long activationBytes = 4L * 32 * (26 * 26 * 16 + 13 * 13 * 16 + 13 * 13 * 32 + 6 * 6 * 32 + 10);
        for (int i = 0; i < 5; i++)
            foreach (var y in model.Predict(x, 32)) y.Dispose();

        // This thread's allocations: the executor rents every activation on the calling thread, and tests running in
        // parallel (the process-wide count) must not be counted.
        long before = GC.GetAllocatedBytesForCurrentThread();
        const int calls = 10;
        for (int i = 0; i < calls; i++)
            foreach (var y in model.Predict(x, 32)) y.Dispose();
        long perCall = (GC.GetAllocatedBytesForCurrentThread() - before) / calls;

        // Bookkeeping (shape records, small arrays) remains; the activations must not.
        Assert.True(perCall < activationBytes / 20, $"{perCall} bytes allocated per call; the activations alone are {activationBytes}");
    }
}
