using System.Text.Json;

namespace DeepGraph.Keras;

/// <summary>Tells a model file's format by its first bytes (Keras's own loaders go by the name; a renamed file still loads here).</summary>
internal static class ModelFormats
{
    /// <summary>What a file's bytes say it is.</summary>
    public enum Kind
    {
        /// <summary>None of the formats.</summary>
        Unknown,

        /// <summary>A zip (<c>PK\x03\x04</c>): Keras 3's <c>.keras</c>.</summary>
        Zip,

        /// <summary>HDF5 (<c>\x89HDF\r\n\x1a\n</c> at 0 or after a user block): a legacy <c>.h5</c>.</summary>
        Hdf5,

        /// <summary>JSON (an object, after optional white space and a UTF-8 byte order mark).</summary>
        Json,
    }

    private static ReadOnlySpan<byte> ZipSignature => "PK\u0003\u0004"u8;

    private static ReadOnlySpan<byte> Hdf5Signature => [0x89, (byte)'H', (byte)'D', (byte)'F', (byte)'\r', (byte)'\n', 0x1a, (byte)'\n'];

    /// <summary>The format of the file in <paramref name="stream"/> (readable and seekable), which is left at position 0.</summary>
    public static Kind Sniff(Stream stream)
    {
        var head = new byte[16];
        stream.Position = 0;
        int n = stream.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        try
        {
            if (n >= 4 && head.AsSpan(0, 4).SequenceEqual(ZipSignature)) return Kind.Zip;
            if (n >= 8 && head.AsSpan(0, 8).SequenceEqual(Hdf5Signature)) return Kind.Hdf5;
            // HDF5's superblock may follow a user block of 512, 1024, 2048 … bytes.
            var signature = new byte[8];
            for (long offset = 512; offset + 8 <= stream.Length; offset *= 2)
            {
                stream.Position = offset;
                if (stream.ReadAtLeast(signature, 8, throwOnEndOfStream: false) == 8 && signature.AsSpan().SequenceEqual(Hdf5Signature)) return Kind.Hdf5;
            }
            int at = n >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF ? 3 : 0;
            while (at < n && head[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') at++;
            return at < n && head[at] == (byte)'{' ? Kind.Json : Kind.Unknown;
        }
        finally
        {
            stream.Position = 0;
        }
    }

    /// <summary>
    /// Whether <paramref name="json"/> is Keras's <c>model.to_json()</c> (an object with <c>class_name</c> and <c>config</c>)
    /// rather than a TensorFlow.js <c>model.json</c> (which wraps the config in <c>modelTopology</c> beside a weights manifest).
    /// </summary>
    public static bool IsBareKerasConfig(string json)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object && !root.TryGetProperty("modelTopology", out _) && !root.TryGetProperty("weightsManifest", out _)
                && root.TryGetProperty("class_name", out _) && root.TryGetProperty("config", out _);
        }
        catch (JsonException)
        {
            return false; // the TF.js reader names what is wrong with it
        }
    }
}
