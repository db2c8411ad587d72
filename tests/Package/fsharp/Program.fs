// The DeepGraph package in a fresh F# console app (copied there by .ci/package-smoke): build a
// functional model, train it one epoch on generated data, predict, save, load it back and predict
// again. The last line is "fsharp smoke: ok" when the reloaded model predicts exactly what the
// trained one did; the exit code is 0 only then.
open System
open System.IO
open DeepGraph
open DeepGraph.Keras

Backend.SetRandomSeed 7
let input = Layers.Input(shape = [| 4 |], name = "features")
let hidden = Layers.Dense(8, activation = "relu").Call(input)
let score = Layers.Dense(1, activation = "sigmoid", name = "score").Call(hidden)
let model = Model(input, score, name = "smoke")
model.Compile(optimizer = "adam", loss = "binary_crossentropy", metrics = [| "accuracy" |])

// 256 samples of 4 features in [-1, 1); the label says whether the features sum to more than 0.
let samples = 256
let rng = Random 1
let features = Array.init (samples * 4) (fun _ -> float32 (2.0 * rng.NextDouble() - 1.0))
let labels = Array.init samples (fun i -> if Array.sum features.[i * 4 .. i * 4 + 3] > 0.0f then 1.0f else 0.0f)
let x = Tensor.FromArray(features, [| samples; 4 |])
let y = Tensor.FromArray(labels, [| samples; 1 |])

let history = model.Fit(x, y, batchSize = 32, epochs = 1, verbose = 0)
let loss = history.["loss"].[0]
printfn "epochs: %d, loss: %.4f, accuracy: %.4f" history.Epoch.Count loss history.["accuracy"].[0]

let predicted = model.Predict(x).[0]
let folder = Path.Combine(Path.GetTempPath(), "deepgraph-smoke-fsharp-" + Guid.NewGuid().ToString "N")
Directory.CreateDirectory folder |> ignore
let ok =
    try
        let path = Path.Combine(folder, "model.json")
        model.Save path
        let loaded = Models.LoadModel path
        let reloaded = loaded.Predict(x).[0]
        printfn "saved: %s" (Directory.GetFiles folder |> Array.map (Path.GetFileName >> string) |> Array.sort |> String.concat ", ")
        printfn "predictions: %A, first %.6f, reloaded %.6f" (predicted.Shape.ToArray()) predicted.[0, 0] reloaded.[0, 0]
        printfn "reloaded predictions equal: %b" (predicted.Equals reloaded)
        history.Epoch.Count = 1 && Double.IsFinite loss && predicted.Shape.ToArray() = [| samples; 1 |]
        && predicted.Equals reloaded && loaded.Name = "smoke"
    finally
        Directory.Delete(folder, true)
printfn (if ok then "fsharp smoke: ok" else "fsharp smoke: FAILED")
exit (if ok then 0 else 1)
