using System.Buffers.Binary;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepGraph.Bench;

/// <summary>
/// TorchSharp, the peer, at its best: 2 threads, channels-last tensors and weights (NHWC
/// memory behind NCHW views, which libtorch's oneDNN path takes), no autograd for inference.
/// </summary>
internal static class TorchPeer
{
    private static bool ready;

    /// <summary>
    /// Makes TorchSharp's native library loadable on Debian 12 and sets 2 threads.
    /// libLibTorchSharp.so asks for GLIBCXX_3.4.32, which Debian 12's libstdc++ (3.4.30) lacks;
    /// the only symbol of that version is std::ios_base_library_init(), referenced but never
    /// called, so the bench marks that one version requirement weak in its own copy of the
    /// library (in this bench's build output only).
    /// </summary>
    public static void Init()
    {
        if (ready) return;
        var lib = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        if (File.Exists(lib)) ElfVersions.MakeVersionNeedWeak(lib, "GLIBCXX_3.4.32");
        torch.set_num_threads(2);
        torch.set_num_interop_threads(1);
        ready = true;
    }

    /// <summary>An NCHW view over NHWC memory (channels-last) of a tensor given in NHWC.</summary>
    public static torch.Tensor ChannelsLast(float[] nhwc, long n, long h, long w, long c) =>
        torch.tensor(nhwc, [n, h, w, c]).permute(0, 3, 1, 2);

    /// <summary>
    /// The memory format libtorch runs each convolution of <paramref name="model"/> in on input <paramref name="x"/>,
    /// read from the strides of their outputs (a check: libtorch infers the format from strides, silently).
    /// </summary>
    public static string ConvLayout(torch.nn.Module<torch.Tensor, torch.Tensor> model, torch.Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        var formats = new List<string>();
        var t = x;
        foreach (var (_, m) in ((TorchSharp.Modules.Sequential)model).named_children())
        {
            t = ((torch.nn.Module<torch.Tensor, torch.Tensor>)m).call(t);
            if (m is TorchSharp.Modules.Conv2d) formats.Add(t.stride(1) == 1 ? "channels-last" : "NCHW");
        }
        return string.Join(", ", formats.Distinct());
    }

    /// <summary>A Conv2d whose weight sits in channels-last memory, from a Keras kernel (kh, kw, cin, cout).</summary>
    public static TorchSharp.Modules.Conv2d Conv(float[] kernel, float[] bias, int kh, int kw, int cin, int cout, int stride, bool same)
    {
        var conv = nn.Conv2d(cin, cout, (kh, kw), stride: (stride, stride), padding: same ? Padding.Same : Padding.Valid);
        using (torch.no_grad())
        {
            // Keras (kh, kw, cin, cout) -> torch (cout, cin, kh, kw) in channels-last memory (cout, kh, kw, cin).
            var w = torch.tensor(kernel, [kh, kw, cin, cout]).permute(3, 0, 1, 2).contiguous().permute(0, 3, 1, 2);
            conv.weight = new TorchSharp.Modules.Parameter(w);
            conv.bias = new TorchSharp.Modules.Parameter(torch.tensor(bias));
        }
        return conv;
    }
}

/// <summary>Marks a version requirement of an ELF shared library weak (VER_FLG_WEAK in .gnu.version_r).</summary>
internal static class ElfVersions
{
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlgWeak = 0x2;

    /// <summary>Sets VER_FLG_WEAK on every need of <paramref name="version"/>; returns how many entries it changed.</summary>
    public static int MakeVersionNeedWeak(string path, string version)
    {
        var b = File.ReadAllBytes(path);
        long shoff = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan(0x28));
        int shentsize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3A));
        int shnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(0x3C));
        int changed = 0;
        for (int i = 0; i < shnum; i++)
        {
            var sh = b.AsSpan((int)(shoff + i * shentsize));
            if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != ShtGnuVerneed) continue;
            long need = BinaryPrimitives.ReadInt64LittleEndian(sh[24..]);
            int strings = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[40..]);
            int count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[44..]);
            long strOff = BinaryPrimitives.ReadInt64LittleEndian(b.AsSpan((int)(shoff + strings * shentsize) + 24));
            for (int n = 0; n < count; n++)
            {
                int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan((int)need + 2));
                long aux = need + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)need + 8));
                for (int a = 0; a < auxCount; a++)
                {
                    int name = (int)(strOff + BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)aux + 8)));
                    if (Encoding.ASCII.GetString(b, name, Array.IndexOf(b, (byte)0, name) - name) == version)
                    {
                        var flags = b.AsSpan((int)aux + 4);
                        ushort f = BinaryPrimitives.ReadUInt16LittleEndian(flags);
                        if ((f & VerFlgWeak) == 0)
                        {
                            BinaryPrimitives.WriteUInt16LittleEndian(flags, (ushort)(f | VerFlgWeak));
                            changed++;
                        }
                    }
                    aux += BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)aux + 12));
                }
                need += BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan((int)need + 12));
            }
        }
        if (changed > 0) File.WriteAllBytes(path, b);
        return changed;
    }
}
