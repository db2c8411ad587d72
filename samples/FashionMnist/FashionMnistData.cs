using System.Buffers.Binary;
using System.Globalization;
using System.IO.Compression;

namespace DeepGraph.Samples.FashionMnist;

/// <summary>
/// Fashion-MNIST (Zalando Research, MIT licence): 28×28 grey images of clothing in ten classes.
/// Reads the gzipped IDX files of the full set when installed (Debian package
/// <c>dataset-fashion-mnist</c>), else the small sample shipped in <c>data/</c>.
/// </summary>
public static class FashionMnistData
{
    /// <summary>Where the Debian package <c>dataset-fashion-mnist</c> installs the full set.</summary>
    public const string DefaultDirectory = "/usr/share/datasets/fashion-mnist";

    /// <summary>Image height and width in pixels.</summary>
    public const int ImageSize = 28;

    /// <summary>The embedded sample's folder: <c>data</c> beside the program.</summary>
    public static string SampleDirectory => Path.Combine(AppContext.BaseDirectory, "data");

    /// <summary>The names of the ten classes, indexed by label.</summary>
    public static readonly string[] ClassNames =
    [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ];

    const int ImagesMagic = 0x00000803; // unsigned bytes, 3 dimensions
    const int LabelsMagic = 0x00000801; // unsigned bytes, 1 dimension

    static readonly string[] FileNames =
    [
        "train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
    ];

    /// <summary>
    /// Images and labels of one split.
    /// </summary>
    /// <param name="Images">Pixels as float32 in [0, 1], NHWC layout [Count, 28, 28, 1].</param>
    /// <param name="Labels">Class indices 0..9 as float32, shape [Count, 1] (what sparse categorical crossentropy takes).</param>
    /// <param name="Count">The number of images.</param>
    public sealed record Dataset(float[] Images, float[] Labels, int Count);

    /// <summary>
    /// Loads the training and test sets: the full set from <paramref name="directory"/>
    /// (default <see cref="DefaultDirectory"/>) when its four files are all there, else the
    /// embedded sample (2,000 train, 500 test images) from <see cref="SampleDirectory"/>.
    /// </summary>
    /// <param name="directory">A folder holding the four gzipped IDX files; null for <see cref="DefaultDirectory"/>.</param>
    /// <returns>The two sets and a sentence saying which data was loaded.</returns>
    /// <exception cref="FileNotFoundException">Neither the full set nor the embedded sample is there.</exception>
    /// <exception cref="InvalidDataException">A file is not a valid IDX file of the expected kind.</exception>
    public static (Dataset Train, Dataset Test, string Source) Load(string? directory = null)
    {
        var full = directory ?? DefaultDirectory;
        if (FileNames.All(name => File.Exists(Path.Combine(full, name))))
        {
            var (train, test) = LoadFrom(full);
            return (train, test, string.Create(CultureInfo.InvariantCulture,
                $"full Fashion-MNIST from {full} ({train.Count:N0} train, {test.Count:N0} test)"));
        }
        var sample = SampleDirectory;
        if (!FileNames.All(name => File.Exists(Path.Combine(sample, name))))
            throw new FileNotFoundException(
                $"Fashion-MNIST not found: neither the full set in {full} nor the embedded sample in {sample}. " +
                "Install the Debian package dataset-fashion-mnist.");
        var (sTrain, sTest) = LoadFrom(sample);
        const string hint = "install the Debian package dataset-fashion-mnist for the full set";
        return (sTrain, sTest, string.Create(CultureInfo.InvariantCulture,
            $"the embedded sample of Fashion-MNIST ({sTrain.Count:N0} train, {sTest.Count:N0} test images; {hint})"));
    }

    static (Dataset Train, Dataset Test) LoadFrom(string directory) =>
        (Read(Path.Combine(directory, FileNames[0]), Path.Combine(directory, FileNames[1])),
         Read(Path.Combine(directory, FileNames[2]), Path.Combine(directory, FileNames[3])));

    /// <summary>Reads one split from a gzipped IDX image file and its gzipped IDX label file.</summary>
    /// <param name="imagesPath">Images: magic 0x00000803, dimensions [Count, 28, 28].</param>
    /// <param name="labelsPath">Labels: magic 0x00000801, dimensions [Count], values 0..9.</param>
    /// <returns>The images scaled to [0, 1] and the labels, as float32.</returns>
    /// <exception cref="InvalidDataException">A file is malformed, of the wrong kind, or the counts differ.</exception>
    public static Dataset Read(string imagesPath, string labelsPath)
    {
        var (imageMagic, imageDims, pixels) = ReadIdx(imagesPath);
        if (imageMagic != ImagesMagic || imageDims[1] != ImageSize || imageDims[2] != ImageSize)
            throw new InvalidDataException(
                $"{imagesPath}: not an IDX file of 28×28 images (magic 0x{imageMagic:x8}, dimensions [{string.Join(", ", imageDims)}]; expected magic 0x{ImagesMagic:x8}, [N, 28, 28]).");
        var (labelMagic, labelDims, labels) = ReadIdx(labelsPath);
        if (labelMagic != LabelsMagic)
            throw new InvalidDataException(
                $"{labelsPath}: not an IDX file of labels (magic 0x{labelMagic:x8}, expected 0x{LabelsMagic:x8}).");
        if (labelDims[0] != imageDims[0])
            throw new InvalidDataException(
                $"{imagesPath} has {imageDims[0]} images but {labelsPath} has {labelDims[0]} labels.");
        var bad = Array.FindIndex(labels, l => l >= ClassNames.Length);
        if (bad >= 0)
            throw new InvalidDataException($"{labelsPath}: label {labels[bad]} at item {bad} is not a class 0..9.");

        var images = new float[pixels.Length];
        for (var i = 0; i < pixels.Length; i++) images[i] = pixels[i] / 255f;
        return new Dataset(images, Array.ConvertAll(labels, l => (float)l), imageDims[0]);
    }

    /// <summary>
    /// Reads a gzipped IDX file of unsigned bytes: a big-endian header (magic 0x000008NN with NN
    /// the number of dimensions, then one 32-bit size per dimension) followed by the data.
    /// </summary>
    /// <param name="path">The .gz file.</param>
    /// <returns>The magic number, the dimensions and the data (row-major).</returns>
    /// <exception cref="InvalidDataException">Not gzip, a wrong magic number, or the data is shorter or longer than the header says; the message names the file.</exception>
    public static (int Magic, int[] Dimensions, byte[] Data) ReadIdx(string path)
    {
        byte[] bytes;
        try
        {
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            using var memory = new MemoryStream();
            gzip.CopyTo(memory);
            bytes = memory.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"{path}: not a readable gzip file ({e.Message}).", e);
        }

        if (bytes.Length < 4)
            throw new InvalidDataException($"{path}: truncated, {bytes.Length} bytes is shorter than an IDX header.");
        var magic = BinaryPrimitives.ReadInt32BigEndian(bytes);
        var rank = magic & 0xFF;
        if ((magic & ~0xFF) != 0x00000800 || rank == 0)
            throw new InvalidDataException(
                $"{path}: wrong magic number 0x{magic:x8}; an IDX file of unsigned bytes starts with 0x000008NN (0x{ImagesMagic:x8} images, 0x{LabelsMagic:x8} labels).");
        var headerLength = 4 * (1 + rank);
        if (bytes.Length < headerLength)
            throw new InvalidDataException($"{path}: truncated inside the header ({bytes.Length} of {headerLength} bytes).");

        var dims = new int[rank];
        long size = 1;
        for (var d = 0; d < rank; d++)
        {
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(bytes.AsSpan(4 * (1 + d)));
            if (dims[d] < 0)
                throw new InvalidDataException($"{path}: negative dimension {dims[d]} in the header.");
            size *= dims[d];
        }
        var actual = bytes.Length - headerLength;
        if (actual != size)
            throw new InvalidDataException(
                $"{path}: {(actual < size ? "truncated" : "too long")}: the header [{string.Join(", ", dims)}] says {size:N0} data bytes, the file has {actual:N0}.");
        return (magic, dims, bytes[headerLength..]);
    }
}
