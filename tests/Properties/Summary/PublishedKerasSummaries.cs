using DeepGraph.Keras;
using static DeepGraph.Keras.Layers;

namespace DeepGraph.Properties.Summary;

/// <summary>
/// <c>model.summary()</c> texts printed by TF 2.x Keras (the classic layout: <c>_</c> and <c>=</c>
/// rules, 65 or 98 columns) and published with the program that printed them. Each test builds
/// the same model, calling the layers in the program's order and giving every layer the name
/// the published text shows (Keras chose those names from its session counters), and compares
/// the whole summary line by line, trailing spaces aside.
/// The expected texts are copied from the sources named on each test; only the text is copied.
/// </summary>
public class PublishedKerasSummaries
{
    /// <summary>Each test starts a fresh session, as each published program started a fresh Python process.</summary>
    public PublishedKerasSummaries() => Backend.ClearSession();

    private static void AssertSummary(string expected, Model model)
    {
        var lines = new List<string>();
        model.Summary(lines.Add);
        var want = expected.Replace("\r", "").Split('\n').Select(l => l.TrimEnd());
        var got = lines.SelectMany(l => l.Replace("\r", "").Split('\n')).Select(l => l.TrimEnd());
        Assert.Equal(string.Join("\n", want), string.Join("\n", got));
    }

    // ---------------------------------------------------------------------------------------
    // Source 1: the Keras functional API guide, TF 2.x version.
    // keras-team/keras-io, guides/md/functional_api.md at commit 6f78709a673691753bdba7f1422390a73a93a1a5
    // (https://keras.io/guides/functional_api/ as published for tf.keras 2.3+, "Last modified: 2020/04/12").
    // ---------------------------------------------------------------------------------------

    /// <summary>"mnist_model": a functional model with one path, so the short (65-column) layout, input layer listed.</summary>
    [Fact]
    public void FunctionalGuide_MnistModel()
    {
        var inputs = Input(shape: [784], name: "input_1");
        var x = Dense(64, activation: "relu", name: "dense").Call(inputs);
        x = Dense(64, activation: "relu", name: "dense_1").Call(x);
        var outputs = Dense(10, name: "dense_2").Call(x);
        var model = new Model(inputs: inputs, outputs: outputs, name: "mnist_model");

        AssertSummary("""
            Model: "mnist_model"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            input_1 (InputLayer)         [(None, 784)]             0
            _________________________________________________________________
            dense (Dense)                (None, 64)                50240
            _________________________________________________________________
            dense_1 (Dense)              (None, 64)                4160
            _________________________________________________________________
            dense_2 (Dense)              (None, 10)                650
            =================================================================
            Total params: 55,050
            Trainable params: 55,050
            Non-trainable params: 0
            _________________________________________________________________
            """, model);
    }

    /// <summary>"encoder": Conv2D, MaxPooling2D and GlobalMaxPooling2D; the type column cuts "(GlobalMaxPooling2D)" at 29 characters.</summary>
    [Fact]
    public void FunctionalGuide_Encoder()
    {
        var encoderInput = Input(shape: [28, 28, 1], name: "img");
        var x = Conv2D(16, 3, activation: "relu", name: "conv2d").Call(encoderInput);
        x = Conv2D(32, 3, activation: "relu", name: "conv2d_1").Call(x);
        x = MaxPooling2D(3, name: "max_pooling2d").Call(x);
        x = Conv2D(32, 3, activation: "relu", name: "conv2d_2").Call(x);
        x = Conv2D(16, 3, activation: "relu", name: "conv2d_3").Call(x);
        var encoderOutput = GlobalMaxPooling2D(name: "global_max_pooling2d").Call(x);
        var encoder = new Model(encoderInput, encoderOutput, name: "encoder");

        AssertSummary("""
            Model: "encoder"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            img (InputLayer)             [(None, 28, 28, 1)]       0
            _________________________________________________________________
            conv2d (Conv2D)              (None, 26, 26, 16)        160
            _________________________________________________________________
            conv2d_1 (Conv2D)            (None, 24, 24, 32)        4640
            _________________________________________________________________
            max_pooling2d (MaxPooling2D) (None, 8, 8, 32)          0
            _________________________________________________________________
            conv2d_2 (Conv2D)            (None, 6, 6, 32)          9248
            _________________________________________________________________
            conv2d_3 (Conv2D)            (None, 4, 4, 16)          4624
            _________________________________________________________________
            global_max_pooling2d (Global (None, 16)                0
            =================================================================
            Total params: 18,672
            Trainable params: 18,672
            Non-trainable params: 0
            _________________________________________________________________
            """, encoder);
    }

    /// <summary>"toy_resnet": residual connections through <c>add</c>, so the long (98-column) layout with Connected to.</summary>
    [Fact]
    public void FunctionalGuide_ToyResNet()
    {
        var inputs = Input(shape: [32, 32, 3], name: "img");
        var x = Conv2D(32, 3, activation: "relu", name: "conv2d_8").Call(inputs);
        x = Conv2D(64, 3, activation: "relu", name: "conv2d_9").Call(x);
        var block1Output = MaxPooling2D(3, name: "max_pooling2d_2").Call(x);

        x = Conv2D(64, 3, activation: "relu", padding: "same", name: "conv2d_10").Call(block1Output);
        x = Conv2D(64, 3, activation: "relu", padding: "same", name: "conv2d_11").Call(x);
        var block2Output = Add(name: "add").Call(x, block1Output);

        x = Conv2D(64, 3, activation: "relu", padding: "same", name: "conv2d_12").Call(block2Output);
        x = Conv2D(64, 3, activation: "relu", padding: "same", name: "conv2d_13").Call(x);
        var block3Output = Add(name: "add_1").Call(x, block2Output);

        x = Conv2D(64, 3, activation: "relu", name: "conv2d_14").Call(block3Output);
        x = GlobalAveragePooling2D(name: "global_average_pooling2d").Call(x);
        x = Dense(256, activation: "relu", name: "dense_6").Call(x);
        x = Dropout(0.5, name: "dropout").Call(x);
        var outputs = Dense(10, name: "dense_7").Call(x);
        var model = new Model(inputs, outputs, name: "toy_resnet");

        AssertSummary("""
            Model: "toy_resnet"
            __________________________________________________________________________________________________
            Layer (type)                    Output Shape         Param #     Connected to
            ==================================================================================================
            img (InputLayer)                [(None, 32, 32, 3)]  0
            __________________________________________________________________________________________________
            conv2d_8 (Conv2D)               (None, 30, 30, 32)   896         img[0][0]
            __________________________________________________________________________________________________
            conv2d_9 (Conv2D)               (None, 28, 28, 64)   18496       conv2d_8[0][0]
            __________________________________________________________________________________________________
            max_pooling2d_2 (MaxPooling2D)  (None, 9, 9, 64)     0           conv2d_9[0][0]
            __________________________________________________________________________________________________
            conv2d_10 (Conv2D)              (None, 9, 9, 64)     36928       max_pooling2d_2[0][0]
            __________________________________________________________________________________________________
            conv2d_11 (Conv2D)              (None, 9, 9, 64)     36928       conv2d_10[0][0]
            __________________________________________________________________________________________________
            add (Add)                       (None, 9, 9, 64)     0           conv2d_11[0][0]
                                                                             max_pooling2d_2[0][0]
            __________________________________________________________________________________________________
            conv2d_12 (Conv2D)              (None, 9, 9, 64)     36928       add[0][0]
            __________________________________________________________________________________________________
            conv2d_13 (Conv2D)              (None, 9, 9, 64)     36928       conv2d_12[0][0]
            __________________________________________________________________________________________________
            add_1 (Add)                     (None, 9, 9, 64)     0           conv2d_13[0][0]
                                                                             add[0][0]
            __________________________________________________________________________________________________
            conv2d_14 (Conv2D)              (None, 7, 7, 64)     36928       add_1[0][0]
            __________________________________________________________________________________________________
            global_average_pooling2d (Globa (None, 64)           0           conv2d_14[0][0]
            __________________________________________________________________________________________________
            dense_6 (Dense)                 (None, 256)          16640       global_average_pooling2d[0][0]
            __________________________________________________________________________________________________
            dropout (Dropout)               (None, 256)          0           dense_6[0][0]
            __________________________________________________________________________________________________
            dense_7 (Dense)                 (None, 10)           2570        dropout[0][0]
            ==================================================================================================
            Total params: 223,242
            Trainable params: 223,242
            Non-trainable params: 0
            __________________________________________________________________________________________________
            """, model);
    }

    // ---------------------------------------------------------------------------------------
    // Source 2: the Keras "Simple MNIST convnet" example, TF 2.x version.
    // keras-team/keras-io, examples/vision/md/mnist_convnet.md at commit 38324b71e65c48731fb8ff4342cd8fcaac276953
    // (https://keras.io/examples/vision/mnist_convnet/, "Last modified: 2020/04/21").
    // ---------------------------------------------------------------------------------------

    /// <summary>A Sequential model started with <c>keras.Input</c>: Conv2D, MaxPooling2D, Flatten, Dropout, Dense.</summary>
    [Fact]
    public void MnistConvnet_Sequential()
    {
        var model = new Sequential([
            Input(shape: [28, 28, 1]).Layer,
            Conv2D(32, (3, 3), activation: "relu", name: "conv2d"),
            MaxPooling2D((2, 2), name: "max_pooling2d"),
            Conv2D(64, (3, 3), activation: "relu", name: "conv2d_1"),
            MaxPooling2D((2, 2), name: "max_pooling2d_1"),
            Flatten(name: "flatten"),
            Dropout(0.5, name: "dropout"),
            Dense(10, activation: "softmax", name: "dense"),
        ], name: "sequential");

        AssertSummary("""
            Model: "sequential"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            conv2d (Conv2D)              (None, 26, 26, 32)        320
            _________________________________________________________________
            max_pooling2d (MaxPooling2D) (None, 13, 13, 32)        0
            _________________________________________________________________
            conv2d_1 (Conv2D)            (None, 11, 11, 64)        18496
            _________________________________________________________________
            max_pooling2d_1 (MaxPooling2 (None, 5, 5, 64)          0
            _________________________________________________________________
            flatten (Flatten)            (None, 1600)              0
            _________________________________________________________________
            dropout (Dropout)            (None, 1600)              0
            _________________________________________________________________
            dense (Dense)                (None, 10)                16010
            =================================================================
            Total params: 34,826
            Trainable params: 34,826
            Non-trainable params: 0
            _________________________________________________________________
            """, model);
    }

    // ---------------------------------------------------------------------------------------
    // Source 3: the Keras Sequential model guide, TF 2.x version.
    // keras-team/keras-io, guides/md/sequential_model.md at commit ad4fc805f5e1a4a4c0bcdd416aa9feac6608fb6c
    // (https://keras.io/guides/sequential_model/, "Last modified: 2020/04/12").
    // ---------------------------------------------------------------------------------------

    /// <summary>"sequential_4": an <c>Input</c> added first, then one Dense layer.</summary>
    [Fact]
    public void SequentialGuide_InputAddedFirst()
    {
        var model = new Sequential(name: "sequential_4");
        model.Add(Input(shape: [4]).Layer);
        model.Add(Dense(2, activation: "relu", name: "dense_10"));

        AssertSummary("""
            Model: "sequential_4"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            dense_10 (Dense)             (None, 2)                 10
            =================================================================
            Total params: 10
            Trainable params: 10
            Non-trainable params: 0
            _________________________________________________________________
            """, model);
    }

    /// <summary>"sequential_5": the input shape given on the first layer.</summary>
    [Fact]
    public void SequentialGuide_InputShapeOnFirstLayer()
    {
        var model = new Sequential(name: "sequential_5");
        model.Add(Dense(2, activation: "relu", inputShape: [4], name: "dense_11"));

        AssertSummary("""
            Model: "sequential_5"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            dense_11 (Dense)             (None, 2)                 10
            =================================================================
            Total params: 10
            Trainable params: 10
            Non-trainable params: 0
            _________________________________________________________________
            """, model);
    }

    /// <summary>
    /// "sequential_3": the guide builds the model by calling it on <c>tf.ones((1, 4))</c>, so Keras
    /// gives it an input of batch shape (1, 4) and the summary shows batch 1. DeepGraph builds the
    /// same input explicitly (an <c>Input</c> of batch size 1 added first).
    /// </summary>
    [Fact]
    public void SequentialGuide_BuiltOnABatchOfOne()
    {
        var model = new Sequential([
            Input(shape: [4], batchSize: 1).Layer,
            Dense(2, activation: "relu", name: "dense_7"),
            Dense(3, activation: "relu", name: "dense_8"),
            Dense(4, name: "dense_9"),
        ], name: "sequential_3");

        AssertSummary("""
            Model: "sequential_3"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            dense_7 (Dense)              (1, 2)                    10
            _________________________________________________________________
            dense_8 (Dense)              (1, 3)                    9
            _________________________________________________________________
            dense_9 (Dense)              (1, 4)                    16
            =================================================================
            Total params: 35
            Trainable params: 35
            Non-trainable params: 0
            _________________________________________________________________
            """, model);
    }

    /// <summary>"sequential_6": the add() + summary() workflow; the same model printed twice while it grows.</summary>
    [Fact]
    public void SequentialGuide_AddThenSummaryWorkflow()
    {
        var model = new Sequential(name: "sequential_6");
        model.Add(Input(shape: [250, 250, 3]).Layer);
        model.Add(Conv2D(32, 5, strides: 2, activation: "relu", name: "conv2d"));
        model.Add(Conv2D(32, 3, activation: "relu", name: "conv2d_1"));
        model.Add(MaxPooling2D(3, name: "max_pooling2d"));

        AssertSummary("""
            Model: "sequential_6"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            conv2d (Conv2D)              (None, 123, 123, 32)      2432
            _________________________________________________________________
            conv2d_1 (Conv2D)            (None, 121, 121, 32)      9248
            _________________________________________________________________
            max_pooling2d (MaxPooling2D) (None, 40, 40, 32)        0
            =================================================================
            Total params: 11,680
            Trainable params: 11,680
            Non-trainable params: 0
            _________________________________________________________________
            """, model);

        model.Add(Conv2D(32, 3, activation: "relu", name: "conv2d_2"));
        model.Add(Conv2D(32, 3, activation: "relu", name: "conv2d_3"));
        model.Add(MaxPooling2D(3, name: "max_pooling2d_1"));
        model.Add(Conv2D(32, 3, activation: "relu", name: "conv2d_4"));
        model.Add(Conv2D(32, 3, activation: "relu", name: "conv2d_5"));
        model.Add(MaxPooling2D(2, name: "max_pooling2d_2"));

        AssertSummary("""
            Model: "sequential_6"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            conv2d (Conv2D)              (None, 123, 123, 32)      2432
            _________________________________________________________________
            conv2d_1 (Conv2D)            (None, 121, 121, 32)      9248
            _________________________________________________________________
            max_pooling2d (MaxPooling2D) (None, 40, 40, 32)        0
            _________________________________________________________________
            conv2d_2 (Conv2D)            (None, 38, 38, 32)        9248
            _________________________________________________________________
            conv2d_3 (Conv2D)            (None, 36, 36, 32)        9248
            _________________________________________________________________
            max_pooling2d_1 (MaxPooling2 (None, 12, 12, 32)        0
            _________________________________________________________________
            conv2d_4 (Conv2D)            (None, 10, 10, 32)        9248
            _________________________________________________________________
            conv2d_5 (Conv2D)            (None, 8, 8, 32)          9248
            _________________________________________________________________
            max_pooling2d_2 (MaxPooling2 (None, 4, 4, 32)          0
            =================================================================
            Total params: 48,672
            Trainable params: 48,672
            Non-trainable params: 0
            _________________________________________________________________
            """, model);
    }

    // ---------------------------------------------------------------------------------------
    // Source 4: "Batch normalisation for a convolution neural network" (TF 2.x notebook export).
    // stanton119/data-analysis, FashionCNN/fashion_batch_norm.md at commit ea6be77cadc0f4ef9638ebf9ff1df40940dde9e8
    // (the notebook FashionCNN/fashion_batch_norm.ipynb in the same repository).
    // ---------------------------------------------------------------------------------------

    private static Sequential FashionCnn(bool batchNorm, string name, int conv, int pool, int bn, int flatten, int dropout, int dense, int activation)
    {
        static string N(string prefix, int i) => i == 0 ? prefix : $"{prefix}_{i}";
        var model = new Sequential(name: name);
        model.Add(Conv2D(32, 5, activation: "relu", inputShape: [28, 28, 1], name: N("conv2d", conv)));
        model.Add(MaxPooling2D(2, name: N("max_pooling2d", pool)));
        if (batchNorm) model.Add(BatchNormalization(name: N("batch_normalization", bn)));
        model.Add(Conv2D(32, 4, activation: "relu", padding: "same", name: N("conv2d", conv + 1)));
        model.Add(MaxPooling2D(2, name: N("max_pooling2d", pool + 1)));
        if (batchNorm) model.Add(BatchNormalization(name: N("batch_normalization", bn + 1)));
        model.Add(Conv2D(32, 3, activation: "relu", name: N("conv2d", conv + 2)));
        model.Add(Flatten(name: N("flatten", flatten)));
        if (batchNorm) model.Add(BatchNormalization(name: N("batch_normalization", bn + 2)));
        model.Add(Dropout(0.2, name: N("dropout", dropout)));
        model.Add(Dense(10, name: N("dense", dense)));
        model.Add(Activation("softmax", name: N("activation", activation)));
        return model;
    }

    /// <summary>The baseline convnet: Conv2D (valid and same), MaxPooling2D, Flatten, Dropout, Dense, Activation.</summary>
    [Fact]
    public void FashionBatchNorm_Baseline()
    {
        var model = FashionCnn(batchNorm: false, "sequential", conv: 0, pool: 0, bn: 0, flatten: 0, dropout: 0, dense: 0, activation: 0);

        AssertSummary("""
            Model: "sequential"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            conv2d (Conv2D)              (None, 24, 24, 32)        832
            _________________________________________________________________
            max_pooling2d (MaxPooling2D) (None, 12, 12, 32)        0
            _________________________________________________________________
            conv2d_1 (Conv2D)            (None, 12, 12, 32)        16416
            _________________________________________________________________
            max_pooling2d_1 (MaxPooling2 (None, 6, 6, 32)          0
            _________________________________________________________________
            conv2d_2 (Conv2D)            (None, 4, 4, 32)          9248
            _________________________________________________________________
            flatten (Flatten)            (None, 512)               0
            _________________________________________________________________
            dropout (Dropout)            (None, 512)               0
            _________________________________________________________________
            dense (Dense)                (None, 10)                5130
            _________________________________________________________________
            activation (Activation)      (None, 10)                0
            =================================================================
            Total params: 31,626
            Trainable params: 31,626
            Non-trainable params: 0
            _________________________________________________________________
            """, model);
    }

    /// <summary>The same convnet with BatchNormalization after each block: non-trainable moving statistics.</summary>
    [Fact]
    public void FashionBatchNorm_WithBatchNormalization()
    {
        var model = FashionCnn(batchNorm: true, "sequential_1", conv: 3, pool: 2, bn: 0, flatten: 1, dropout: 1, dense: 1, activation: 1);

        AssertSummary("""
            Model: "sequential_1"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            conv2d_3 (Conv2D)            (None, 24, 24, 32)        832
            _________________________________________________________________
            max_pooling2d_2 (MaxPooling2 (None, 12, 12, 32)        0
            _________________________________________________________________
            batch_normalization (BatchNo (None, 12, 12, 32)        128
            _________________________________________________________________
            conv2d_4 (Conv2D)            (None, 12, 12, 32)        16416
            _________________________________________________________________
            max_pooling2d_3 (MaxPooling2 (None, 6, 6, 32)          0
            _________________________________________________________________
            batch_normalization_1 (Batch (None, 6, 6, 32)          128
            _________________________________________________________________
            conv2d_5 (Conv2D)            (None, 4, 4, 32)          9248
            _________________________________________________________________
            flatten_1 (Flatten)          (None, 512)               0
            _________________________________________________________________
            batch_normalization_2 (Batch (None, 512)               2048
            _________________________________________________________________
            dropout_1 (Dropout)          (None, 512)               0
            _________________________________________________________________
            dense_1 (Dense)              (None, 10)                5130
            _________________________________________________________________
            activation_1 (Activation)    (None, 10)                0
            =================================================================
            Total params: 33,930
            Trainable params: 32,778
            Non-trainable params: 1,152
            _________________________________________________________________
            """, model);
    }

    // ---------------------------------------------------------------------------------------
    // Source 5: a blog post "Functional API" (tags: TensorFlow) working the Wide & Deep models of
    // Géron's Hands-On ML, chapter 10, on California housing, printed by TF 2.x. A public GitHub
    // Pages markdown file found through the code search index (file id 7395651091); the index did
    // not name its repository. Trailing spaces were stripped in the post.
    // ---------------------------------------------------------------------------------------

    /// <summary>"model": Wide & Deep with one input, the input concatenated with the deep path.</summary>
    [Fact]
    public void WideAndDeep_OneInput()
    {
        var input_ = Input(shape: [8], name: "input_1");
        var hidden1 = Dense(30, activation: "relu", name: "dense").Call(input_);
        var hidden2 = Dense(30, activation: "relu", name: "dense_1").Call(hidden1);
        var concat = Concatenate(name: "concatenate").Call(input_, hidden2);
        var output = Dense(1, name: "dense_2").Call(concat);
        var model = new Model(inputs: [input_], outputs: [output], name: "model");

        AssertSummary("""
            Model: "model"
            __________________________________________________________________________________________________
            Layer (type)                    Output Shape         Param #     Connected to
            ==================================================================================================
            input_1 (InputLayer)            [(None, 8)]          0
            __________________________________________________________________________________________________
            dense (Dense)                   (None, 30)           270         input_1[0][0]
            __________________________________________________________________________________________________
            dense_1 (Dense)                 (None, 30)           930         dense[0][0]
            __________________________________________________________________________________________________
            concatenate (Concatenate)       (None, 38)           0           input_1[0][0]
                                                                             dense_1[0][0]
            __________________________________________________________________________________________________
            dense_2 (Dense)                 (None, 1)            39          concatenate[0][0]
            ==================================================================================================
            Total params: 1,239
            Trainable params: 1,239
            Non-trainable params: 0
            __________________________________________________________________________________________________
            """, model);
    }

    /// <summary>"model_1": two inputs; the input concatenated directly sits at a shallower depth than the deep path's input.</summary>
    [Fact]
    public void WideAndDeep_TwoInputs()
    {
        var input1 = Input(shape: [8], name: "input_2");
        var input2 = Input(shape: [8], name: "input_3");
        var hidden1 = Dense(30, activation: "relu", name: "dense_3").Call(input2);
        var hidden2 = Dense(8, activation: "relu", name: "dense_4").Call(hidden1);
        var concat = Concatenate(name: "concatenate_1").Call(input1, hidden2);
        var output = Dense(1, name: "dense_5").Call(concat);
        var model = new Model(inputs: [input1, input2], outputs: [output], name: "model_1");

        AssertSummary("""
            Model: "model_1"
            __________________________________________________________________________________________________
            Layer (type)                    Output Shape         Param #     Connected to
            ==================================================================================================
            input_3 (InputLayer)            [(None, 8)]          0
            __________________________________________________________________________________________________
            dense_3 (Dense)                 (None, 30)           270         input_3[0][0]
            __________________________________________________________________________________________________
            input_2 (InputLayer)            [(None, 8)]          0
            __________________________________________________________________________________________________
            dense_4 (Dense)                 (None, 8)            248         dense_3[0][0]
            __________________________________________________________________________________________________
            concatenate_1 (Concatenate)     (None, 16)           0           input_2[0][0]
                                                                             dense_4[0][0]
            __________________________________________________________________________________________________
            dense_5 (Dense)                 (None, 1)            17          concatenate_1[0][0]
            ==================================================================================================
            Total params: 535
            Trainable params: 535
            Non-trainable params: 0
            __________________________________________________________________________________________________
            """, model);
    }

    /// <summary>"model_2": two inputs and two outputs (a main output and an auxiliary one on the deep path).</summary>
    [Fact]
    public void WideAndDeep_TwoInputsTwoOutputs()
    {
        var input1 = Input(shape: [5], name: "input_4");
        var input2 = Input(shape: [6], name: "input_5");
        var hidden1 = Dense(30, activation: "relu", name: "dense_6").Call(input2);
        var hidden2 = Dense(5, activation: "relu", name: "dense_7").Call(hidden1);
        var concat = Concatenate(name: "concatenate_2").Call(input1, hidden2);
        var output1 = Dense(1, name: "main_output").Call(concat);
        var output2 = Dense(1, name: "aux_output").Call(hidden2);
        var model = new Model(inputs: [input1, input2], outputs: [output1, output2], name: "model_2");

        AssertSummary("""
            Model: "model_2"
            __________________________________________________________________________________________________
            Layer (type)                    Output Shape         Param #     Connected to
            ==================================================================================================
            input_5 (InputLayer)            [(None, 6)]          0
            __________________________________________________________________________________________________
            dense_6 (Dense)                 (None, 30)           210         input_5[0][0]
            __________________________________________________________________________________________________
            input_4 (InputLayer)            [(None, 5)]          0
            __________________________________________________________________________________________________
            dense_7 (Dense)                 (None, 5)            155         dense_6[0][0]
            __________________________________________________________________________________________________
            concatenate_2 (Concatenate)     (None, 10)           0           input_4[0][0]
                                                                             dense_7[0][0]
            __________________________________________________________________________________________________
            main_output (Dense)             (None, 1)            11          concatenate_2[0][0]
            __________________________________________________________________________________________________
            aux_output (Dense)              (None, 1)            6           dense_7[0][0]
            ==================================================================================================
            Total params: 382
            Trainable params: 382
            Non-trainable params: 0
            __________________________________________________________________________________________________
            """, model);
    }

    // ---------------------------------------------------------------------------------------
    // Source 6: study notes on Géron's Hands-On ML, chapter 11 ("Training Deep Neural Networks"),
    // a notebook exported to markdown, printed by TF 2.x (training logs "Train on 38400 samples").
    // A public GitHub markdown file found through the code search index (file id 17124121046);
    // the index did not name its repository.
    // ---------------------------------------------------------------------------------------

    /// <summary>"sequential_1": BatchNormalization after each hidden layer.</summary>
    [Fact]
    public void HandsOnMl_BatchNormAfterActivation()
    {
        var model = new Sequential([
            Flatten(inputShape: [28, 28], name: "flatten"),
            BatchNormalization(name: "batch_normalization"),
            Dense(300, activation: "elu", name: "dense_5"),
            BatchNormalization(name: "batch_normalization_1"),
            Dense(100, activation: "elu", name: "dense_6"),
            BatchNormalization(name: "batch_normalization_2"),
            Dense(10, activation: "softmax", name: "dense_7"),
        ], name: "sequential_1");

        AssertSummary("""
            Model: "sequential_1"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            flatten (Flatten)            (None, 784)               0
            _________________________________________________________________
            batch_normalization (BatchNo (None, 784)               3136
            _________________________________________________________________
            dense_5 (Dense)              (None, 300)               235500
            _________________________________________________________________
            batch_normalization_1 (Batch (None, 300)               1200
            _________________________________________________________________
            dense_6 (Dense)              (None, 100)               30100
            _________________________________________________________________
            batch_normalization_2 (Batch (None, 100)               400
            _________________________________________________________________
            dense_7 (Dense)              (None, 10)                1010
            =================================================================
            Total params: 271,346
            Trainable params: 268,978
            Non-trainable params: 2,368
            _________________________________________________________________
            """, model);
    }

    /// <summary>"sequential_2": BatchNormalization before separate Activation layers, Dense without bias.</summary>
    [Fact]
    public void HandsOnMl_BatchNormBeforeActivation()
    {
        var model = new Sequential([
            Flatten(inputShape: [28, 28], name: "flatten_1"),
            BatchNormalization(name: "batch_normalization_3"),
            Dense(300, useBias: false, name: "dense_8"),
            BatchNormalization(name: "batch_normalization_4"),
            Activation("elu", name: "activation"),
            Dense(100, useBias: false, name: "dense_9"),
            BatchNormalization(name: "batch_normalization_5"),
            Activation("elu", name: "activation_1"),
            Dense(10, activation: "softmax", name: "dense_10"),
        ], name: "sequential_2");

        AssertSummary("""
            Model: "sequential_2"
            _________________________________________________________________
            Layer (type)                 Output Shape              Param #
            =================================================================
            flatten_1 (Flatten)          (None, 784)               0
            _________________________________________________________________
            batch_normalization_3 (Batch (None, 784)               3136
            _________________________________________________________________
            dense_8 (Dense)              (None, 300)               235200
            _________________________________________________________________
            batch_normalization_4 (Batch (None, 300)               1200
            _________________________________________________________________
            activation (Activation)      (None, 300)               0
            _________________________________________________________________
            dense_9 (Dense)              (None, 100)               30000
            _________________________________________________________________
            batch_normalization_5 (Batch (None, 100)               400
            _________________________________________________________________
            activation_1 (Activation)    (None, 100)               0
            _________________________________________________________________
            dense_10 (Dense)             (None, 10)                1010
            =================================================================
            Total params: 270,946
            Trainable params: 268,578
            Non-trainable params: 2,368
            _________________________________________________________________
            """, model);
    }

    // ---------------------------------------------------------------------------------------
    // Source 7: a triplet-loss embedding network printed by TF 2.x: one Sequential network shared
    // by three inputs, its three outputs concatenated. A public GitHub Python file whose module
    // docstring holds the printed summary, found through the code search index (file id
    // 7728348390); the index did not name its repository. The shared network was loaded from an
    // .h5 file the source does not show, so its inside is unknown; the summary shows it as one row
    // only. The stand-in below has the published input and output shapes and exactly the published
    // parameter counts (36,843,978 in all, 254,208 of them non-trainable), which is all the outer
    // summary can see.
    // ---------------------------------------------------------------------------------------

    /// <summary>A nested Sequential called three times: one row with three connections, then <c>sequential[1..3][0]</c> (node 0 is the nested model's own).</summary>
    [Fact]
    public void TripletNetwork_SharedSequential()
    {
        // Stand-in for the loaded network: 24 + 889,728 + 8,643,140 + 23,631,948 + 3,424,930 = 36,589,770 trainable,
        // and 2 × 127,104 = 254,208 non-trainable moving statistics.
        var baseNetwork = new Sequential([
            Input(shape: [224, 224, 3]).Layer,
            GlobalAveragePooling2D(),
            Dense(6),
            Dense(127104),
            BatchNormalization(center: false, scale: false),
            Dense(68),
            Dense(342492),
            Dense(10),
        ], name: "sequential");

        var anchorInput = Input(shape: [224, 224, 3], name: "anchor_input");
        var positiveInput = Input(shape: [224, 224, 3], name: "positive_input");
        var negativeInput = Input(shape: [224, 224, 3], name: "negative_input");
        var encodedAnchor = baseNetwork.Call(anchorInput);
        var encodedPositive = baseNetwork.Call(positiveInput);
        var encodedNegative = baseNetwork.Call(negativeInput);
        var merged = Concatenate(name: "merged_layer").Call(encodedAnchor, encodedPositive, encodedNegative);
        var model = new Model(inputs: [anchorInput, positiveInput, negativeInput], outputs: [merged], name: "model");

        AssertSummary("""
            Model: "model"
            __________________________________________________________________________________________________
            Layer (type)                    Output Shape         Param #     Connected to
            ==================================================================================================
            anchor_input (InputLayer)       [(None, 224, 224, 3) 0
            __________________________________________________________________________________________________
            positive_input (InputLayer)     [(None, 224, 224, 3) 0
            __________________________________________________________________________________________________
            negative_input (InputLayer)     [(None, 224, 224, 3) 0
            __________________________________________________________________________________________________
            sequential (Sequential)         (None, 10)           36843978    anchor_input[0][0]
                                                                             positive_input[0][0]
                                                                             negative_input[0][0]
            __________________________________________________________________________________________________
            merged_layer (Concatenate)      (None, 30)           0           sequential[1][0]
                                                                             sequential[2][0]
                                                                             sequential[3][0]
            ==================================================================================================
            Total params: 36,843,978
            Trainable params: 36,589,770
            Non-trainable params: 254,208
            __________________________________________________________________________________________________
            """, model);
    }
}
