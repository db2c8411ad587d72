namespace DeepGraph.Properties.Serialization;

/// <summary>
/// The byte damages the fuzz tests do to a model file: bits flipped, the file cut short, or a run of bytes set to
/// 0x00, 0xFF or a random byte. Each returns what it did, for the failure's label.
/// </summary>
internal static class ByteDamage
{
    /// <summary>How many kinds of damage <see cref="Apply"/> knows.</summary>
    public const int Kinds = 3;

    /// <summary>Damage number <paramref name="kind"/> (0 ≤ kind &lt; <see cref="Kinds"/>) done to <paramref name="bytes"/> (in place, or a shorter copy).</summary>
    public static (string What, byte[] Bytes) Apply(int kind, byte[] bytes, Random random)
    {
        switch (kind)
        {
            case 0:
            {
                int n = 1 + random.Next(8);
                var at = new List<int>();
                for (int k = 0; k < n; k++)
                {
                    int p = random.Next(bytes.Length);
                    bytes[p] ^= (byte)(1 << random.Next(8));
                    at.Add(p);
                }
                return ($"bits flipped at {string.Join(", ", at)}", bytes);
            }
            case 1:
            {
                int length = random.Next(bytes.Length);
                return ($"cut to {length} bytes", bytes[..length]);
            }
            case 2:
            {
                int p = random.Next(bytes.Length), n = Math.Min(1 + random.Next(16), bytes.Length - p);
                byte fill = random.Next(3) switch { 0 => 0x00, 1 => 0xFF, _ => (byte)random.Next(256) };
                bytes.AsSpan(p, n).Fill(fill);
                return ($"{n} bytes at {p} set to {fill:X2}", bytes);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(kind), kind, $"there are {Kinds} kinds of byte damage");
        }
    }
}
