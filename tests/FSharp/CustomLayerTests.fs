/// A custom layer, a Lambda and a function loss written in F#, trained with Fit (issue 12 item 5).
module DeepGraph.FSharp.Tests.CustomLayerTests

open System
open System.Collections.Generic
open System.Text.Json.Nodes
open Xunit
open DeepGraph
open DeepGraph.Core
open DeepGraph.Keras

/// A Dense layer in F#: kernel and bias declared in Build, x·kernel + bias in Call.
type FsDense(units: int) =
    inherit CustomLayer()
    let mutable kernel: LayerWeight = Unchecked.defaultof<_>
    let mutable bias: LayerWeight = Unchecked.defaultof<_>

    member _.Units = units

    override this.Build(inputShape: Shape) =
        kernel <- this.AddWeight("kernel", [| inputShape.[inputShape.Count - 1].Value; units |])
        bias <- this.AddWeight("bias", [| units |], "zeros")

    override _.Call(x: Var, training: bool) : Var = Ops.MatMul(x, kernel.Var) + bias.Var

    override _.GetConfig() = JsonObject(dict [ "units", JsonValue.Create units :> JsonNode ])

/// Samples in [-1, 1) from a seed.
let private random (seed: int) (shape: int[]) =
    let rng = Random seed
    let n = Array.fold (*) 1 shape
    Tensor.FromArray(Array.init n (fun _ -> float32 (rng.NextDouble() * 2.0 - 1.0)), shape)

/// y = 0.5·x0 − x1 + 0.25·x2² for 64 samples of 3 features.
let private data () =
    let x = random 1 [| 64; 3 |]
    let v = x.ToArray()
    let y = Array.init 64 (fun i -> 0.5f * v.[3 * i] - v.[3 * i + 1] + 0.25f * v.[3 * i + 2] * v.[3 * i + 2])
    x, Tensor.FromArray(y, [| 64; 1 |])

[<Fact>]
let ``An F# custom layer and Lambda train with Fit and the loss falls`` () =
    Backend.ClearSession()
    let input = Layers.Input(shape = [| 3 |])
    let hidden = FsDense(16).Call(input)
    let activated = Layers.Lambda((fun (h: Var) -> Ops.Tanh h), name = "tanh").Call(hidden)
    let output = FsDense(1).Call(activated)
    let model = Model(input, output)
    let lines = List<string>()
    model.Summary(Action<string>(lines.Add))
    Assert.Contains(lines, fun l -> l.Contains "(FsDense)" && l.Contains "64")
    Assert.Contains(lines, fun l -> l.Contains "(Lambda)")

    model.Compile(optimizer = Optimizers.Adam(0.02), loss = "mse")
    let x, y = data ()
    let history = model.Fit(x, y, epochs = 40, verbose = 0)
    let losses = history.["loss"]
    Assert.True(losses.[losses.Count - 1] < losses.[0] / 4.0, sprintf "loss %f -> %f" losses.[0] losses.[losses.Count - 1])

    let predicted = model.Predict(x).[0]
    Assert.True((Shape.Known(64, 1) = predicted.Shape), string predicted.Shape)
    let mse = Array.map2 (fun (p: float32) (t: float32) -> float ((p - t) * (p - t))) (predicted.ToArray()) (y.ToArray()) |> Array.average
    Assert.Equal(losses.[losses.Count - 1], mse, 1)

[<Fact>]
let ``An F# function loss trains as the built-in mse does`` () =
    let train (loss: Loss) =
        Backend.ClearSession()
        Backend.SetRandomSeed 5
        let input = Layers.Input(shape = [| 3 |])
        let model = Model(input, FsDense(1).Call(FsDense(4).Call(input)))
        model.Compile(optimizer = Optimizers.SGD(0.05), loss = loss)
        let x, y = data ()
        model.Fit(x, y, epochs = 5, batchSize = 16, verbose = 0).["loss"]

    let mine =
        Losses.FromFunction("fs_mse", fun yTrue yPred ->
            let d = yPred - yTrue
            Ops.Mean(d * d, [| -1 |]))
    let expected = train (Losses.MeanSquaredError())
    let actual = train mine
    Assert.True(actual.[4] < actual.[0])
    for e in 0..4 do
        Assert.Equal(expected.[e], actual.[e], 5)
