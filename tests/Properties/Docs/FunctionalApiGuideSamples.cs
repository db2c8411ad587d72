// The C# programs of docs/functional-api-guide.md: every ```csharp block of the page appears in this file
// (FunctionalApiGuideIsCompiled checks it), and the tests there run each program.
using DeepGraph;
using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Docs;

/// <summary>The keras.io Functional API guide's programs, in C#.</summary>
public static class FunctionalApiGuide
{
    /// <summary>The encoder, decoder and autoencoder, built once as one graph and once as two models called in a third.</summary>
    public static (Model Encoder, Model Autoencoder, Model Decoder, Model Composed) Autoencoders()
    {
        var encoderInput = Input(shape: [28, 28, 1], name: "img");
        var x = Conv2D(16, 3, activation: "relu").Call(encoderInput);
        x = Conv2D(32, 3, activation: "relu").Call(x);
        x = MaxPooling2D(3).Call(x);
        x = Conv2D(32, 3, activation: "relu").Call(x);
        x = Conv2D(16, 3, activation: "relu").Call(x);
        var encoderOutput = GlobalMaxPooling2D().Call(x);
        var encoder = new Model(encoderInput, encoderOutput, name: "encoder");

        x = Reshape([4, 4, 1]).Call(encoderOutput);
        x = Conv2DTranspose(16, 3, activation: "relu").Call(x);
        x = Conv2DTranspose(32, 3, activation: "relu").Call(x);
        x = UpSampling2D(3).Call(x);
        x = Conv2DTranspose(16, 3, activation: "relu").Call(x);
        var decoderOutput = Conv2DTranspose(1, 3, activation: "relu").Call(x);
        var autoencoder = new Model(encoderInput, decoderOutput, name: "autoencoder");

        var decoderInput = Input(shape: [16], name: "encoded_img");
        x = Reshape([4, 4, 1]).Call(decoderInput);
        x = Conv2DTranspose(16, 3, activation: "relu").Call(x);
        x = Conv2DTranspose(32, 3, activation: "relu").Call(x);
        x = UpSampling2D(3).Call(x);
        x = Conv2DTranspose(16, 3, activation: "relu").Call(x);
        var decoded = Conv2DTranspose(1, 3, activation: "relu").Call(x);
        var decoder = new Model(decoderInput, decoded, name: "decoder");

        var autoencoderInput = Input(shape: [28, 28, 1], name: "img");
        var encodedImg = encoder.Call(autoencoderInput);
        var decodedImg = decoder.Call(encodedImg);
        var composed = new Model(autoencoderInput, decodedImg, name: "autoencoder");
        return (encoder, autoencoder, decoder, composed);
    }

    /// <summary>Three models averaged into one (Keras's <c>layers.average</c>).</summary>
    public static Model Ensemble()
    {
        static Model GetModel()
        {
            var inputs = Input(shape: [128]);
            var outputs = Dense(1).Call(inputs);
            return new Model(inputs, outputs);
        }

        var model1 = GetModel();
        var model2 = GetModel();
        var model3 = GetModel();

        var inputs = Input(shape: [128]);
        var y1 = model1.Call(inputs);
        var y2 = model2.Call(inputs);
        var y3 = model3.Call(inputs);
        var outputs = Average([y1, y2, y3]);
        return new Model(inputs, outputs);
    }

    /// <summary>The ticket model: two texts and tags in, a priority and a department out.</summary>
    public static Model TicketModel()
    {
        const int numTags = 12;          // Number of unique issue tags
        const int numWords = 10000;      // Size of vocabulary obtained when preprocessing text data
        const int numDepartments = 4;    // Number of departments for predictions

        var titleInput = Input(shape: [null], dtype: "int32", name: "title");  // Variable-length sequence of ints
        var bodyInput = Input(shape: [null], dtype: "int32", name: "body");    // Variable-length sequence of ints
        var tagsInput = Input(shape: [numTags], name: "tags");                 // Binary vectors of size `numTags`

        // Embed each word in the title into a 64-dimensional vector
        var titleFeatures = Embedding(numWords, 64).Call(titleInput);
        // Embed each word in the text into a 64-dimensional vector
        var bodyFeatures = Embedding(numWords, 64).Call(bodyInput);

        // Reduce sequence of embedded words in the title into a single 128-dimensional vector
        titleFeatures = LSTM(128).Call(titleFeatures);
        // Reduce sequence of embedded words in the body into a single 32-dimensional vector
        bodyFeatures = LSTM(32).Call(bodyFeatures);

        // Merge all available features into a single large vector via concatenation
        var x = Concatenate([titleFeatures, bodyFeatures, tagsInput]);

        // Stick a logistic regression for priority prediction on top of the features
        var priorityPred = Dense(1, name: "priority").Call(x);
        // Stick a department classifier on top of the features
        var departmentPred = Dense(numDepartments, name: "department").Call(x);

        // Instantiate an end-to-end model predicting both priority and department
        return new Model([titleInput, bodyInput, tagsInput], [priorityPred, departmentPred]);
    }

    /// <summary>Compiles the ticket model with a loss and a weight per output, by name, and trains it on random data.</summary>
    public static History TrainTicketModel(Model model, int samples, int seed)
    {
        model.Compile(
            optimizer: Optimizers.RMSprop(1e-3),
            loss: new Dictionary<string, LossItem>
            {
                ["priority"] = Losses.BinaryCrossentropy(fromLogits: true),
                ["department"] = Losses.CategoricalCrossentropy(fromLogits: true),
            },
            lossWeights: new Dictionary<string, double> { ["priority"] = 1.0, ["department"] = 0.2 });

        // Dummy input data
        var rng = new Random(seed);
        var titleData = Tensor.FromInts([.. Enumerable.Range(0, samples * 10).Select(_ => rng.Next(10000))], [samples, 10]);
        var bodyData = Tensor.FromInts([.. Enumerable.Range(0, samples * 100).Select(_ => rng.Next(10000))], [samples, 100]);
        var tagsData = Tensor.FromArray([.. Enumerable.Range(0, samples * 12).Select(_ => (float)rng.Next(2))], [samples, 12]);
        // Dummy target data
        var priorityTargets = Tensor.FromArray([.. Enumerable.Range(0, samples).Select(_ => (float)rng.NextDouble())], [samples, 1]);
        var deptTargets = Tensor.FromArray([.. Enumerable.Range(0, samples * 4).Select(_ => (float)rng.Next(2))], [samples, 4]);

        return model.Fit(
            [titleData, bodyData, tagsData],
            [priorityTargets, deptTargets],
            epochs: 2,
            batchSize: 32,
            verbose: 0);
    }

    /// <summary>A toy ResNet for CIFAR-10 images: two residual blocks joined by <c>Add</c>.</summary>
    public static Model ToyResNet()
    {
        var inputs = Input(shape: [32, 32, 3], name: "img");
        var x = Conv2D(32, 3, activation: "relu").Call(inputs);
        x = Conv2D(64, 3, activation: "relu").Call(x);
        var block1Output = MaxPooling2D(3).Call(x);

        x = Conv2D(64, 3, activation: "relu", padding: "same").Call(block1Output);
        x = Conv2D(64, 3, activation: "relu", padding: "same").Call(x);
        var block2Output = Add([x, block1Output]);

        x = Conv2D(64, 3, activation: "relu", padding: "same").Call(block2Output);
        x = Conv2D(64, 3, activation: "relu", padding: "same").Call(x);
        var block3Output = Add([x, block2Output]);

        x = Conv2D(64, 3, activation: "relu").Call(block3Output);
        x = GlobalAveragePooling2D().Call(x);
        x = Dense(256, activation: "relu").Call(x);
        x = Dropout(0.5).Call(x);
        var outputs = Dense(10).Call(x);
        return new Model(inputs, outputs, name: "toy_resnet");
    }

    /// <summary>One embedding shared by two text inputs.</summary>
    public static (Model Model, Layer SharedEmbedding) SharedEmbedding()
    {
        // Embedding for 1000 unique words mapped to 128-dimensional vectors
        var sharedEmbedding = Embedding(1000, 128);

        // Variable-length sequence of integers
        var textInputA = Input(shape: [null], dtype: "int32");

        // Variable-length sequence of integers
        var textInputB = Input(shape: [null], dtype: "int32");

        // Reuse the same layer to encode both inputs
        var encodedInputA = sharedEmbedding.Call(textInputA);
        var encodedInputB = sharedEmbedding.Call(textInputB);
        return (new Model([textInputA, textInputB], [encodedInputA, encodedInputB]), sharedEmbedding);
    }

    /// <summary>A model whose outputs are every layer's output of another (the guide's VGG19 feature extraction, on a small convnet).</summary>
    public static Model FeatureExtraction(Model trained)
    {
        var featuresList = trained.Layers.Skip(1).Select(layer => layer.Output).ToList();
        return new Model(trained.Input, featuresList);
    }

    /// <summary>A frozen base called with <c>training: false</c> under a new head, then fine-tuned (Keras's transfer-learning guide).</summary>
    public static (Model Model, Model Base) TransferLearning(Model baseModel)
    {
        baseModel.Trainable = false;

        var inputs = Input(shape: [32, 32, 3]);
        // The base model runs in inference mode here: its BatchNormalization keeps its moving statistics,
        // also when the base is unfrozen for fine-tuning later.
        var x = baseModel.Call(inputs, training: false);
        x = GlobalAveragePooling2D().Call(x);
        var outputs = Dense(1).Call(x);
        var model = new Model(inputs, outputs);
        model.Compile(Optimizers.Adam(), Losses.BinaryCrossentropy(fromLogits: true), metrics: [Metrics.BinaryAccuracy()]);
        return (model, baseModel);
    }

    /// <summary>Unfreezes the base and recompiles with a low learning rate, as the guide's fine-tuning step does.</summary>
    public static void FineTune(Model model, Model baseModel)
    {
        baseModel.Trainable = true;
        model.Compile(Optimizers.Adam(1e-5), Losses.BinaryCrossentropy(fromLogits: true), metrics: [Metrics.BinaryAccuracy()]);
    }

    /// <summary>The example of docs/index.md's "Layers" section.</summary>
    public static Model IndexExample()
    {
        var tokens = Input(shape: [64], dtype: "int32");
        var x = Embedding(10_000, 128, maskZero: true).Call(tokens);  // float ids are cast, as Keras does
        var attended = MultiHeadAttention(numHeads: 4, keyDim: 32).Call(x, x);   // self-attention, padding ignored
        x = LayerNormalization().Call(Add(x, attended));
        var p = Dense(1, activation: "sigmoid").Call(GlobalAveragePooling1D().Call(x));
        return new Model(tokens, p);
    }
}
